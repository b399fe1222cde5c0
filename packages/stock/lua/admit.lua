-- The admission gate: admits a batch of applications to one event's line, in order.
-- KEYS[1] the event's state hash, KEYS[2] its applications hash, KEYS[3] this second's apply counter,
--   KEYS[4] its line (PENDING admissions by position)
-- ARGV[1] now (epoch ms), ARGV[2] the highest `seq` the caller has seen (positions never go back: a lower
--   `seq` means Redis went back in time), ARGV[3] MySQL's watermark (decided through; Redis's runs ahead of it,
--   so a lower `through` means Redis went back in time), ARGV[4..] participant ids, in arrival order
-- Reply: {0} when the event has no state (unknown, or lost by Redis: rebuild it first);
--   {2, seq, epoch} when `seq` is below ARGV[2] or `through` below ARGV[3] (stale: rebuild it from MySQL, forced);
--   {3, held since} while the state is held after a rebuild (hold.lua: positions still in Kafka are not known);
--   otherwise {1, decided through, seq, outcome, entry, ahead, outcome, entry, ahead, ...} per participant, outcome 1 ACCEPTED, 2 ALREADY_APPLIED,
--   3 SOLD_OUT (the gate is closed: admitted - released >= stock; with a claim window, issued >= stock, since
--   everyone beyond the stock is WAITLISTED while offers are open), 4 NOT_OPEN; entry is the stored
--   application ('' when NOT_OPEN); ahead: PENDING admissions before it in the line (0 unless PENDING).
--   An event with a waiting room answers through waitroom.lua until its draw is placed (outcomes 5 WAITING, 6 HELD).
-- @include "helpers.lua"
-- @include "waitroom.lua"
local s = redis.call('HMGET', KEYS[1], 'ready', 'status', 'opensAt', 'closesAt', 'stock', 'seq', 'admitted', 'released', 'pending', 'soldout', 'through', 'epoch', 'hold', 'wr', 'drawn', 'claim', 'issued')
if not s[1] then return {0} end
if num(s[6]) < tonumber(ARGV[2]) or num(s[11]) < tonumber(ARGV[3]) then return {2, num(s[6]), s[12] or ''} end
if s[13] and s[13] ~= '' then return {3, s[13]} end
local now = ARGV[1]
local room = waitingRoomAdmit(s[14], s[15], s[2], s[3], s[4], s[11], s[6], tonumber(now))
if room then return room end
local open = isOpen(s[2], s[3], s[4], tonumber(now))
local stock, seq, admitted, released, pending, soldout = num(s[5]), num(s[6]), num(s[7]), num(s[8]), num(s[9]), num(s[10])
local reply = {1, num(s[11]), 0}
local changed = false
for i = 4, #ARGV do
  local p = ARGV[i]
  local e = redis.call('HGET', KEYS[2], p)
  local ahead = 0
  -- WAITING after the draw was placed: never confirmed in MySQL, so not in the draw (waitroom.lua); a new applicant
  if entryStatus(e) == 'W' then e = nil end
  if e then
    reply[#reply + 1] = 2
    if entryStatus(e) == 'P' then ahead = redis.call('ZCOUNT', KEYS[4], '-inf', '(' .. entryPosition(e)) end
  elseif not open then
    reply[#reply + 1] = 4
    e = ''
  else
    seq = seq + 1
    local full = admitted - released >= stock
    if num(s[16]) > 0 then full = num(s[17]) >= stock end -- claim window
    if full then
      e = 'S|' .. seq .. '|' .. now .. '|' .. now .. '|'
      soldout = soldout + 1
      reply[#reply + 1] = 3
    else
      e = 'P|' .. seq .. '|' .. now .. '||'
      ahead = redis.call('ZCARD', KEYS[4])
      redis.call('ZADD', KEYS[4], seq, p)
      admitted = admitted + 1
      pending = pending + 1
      reply[#reply + 1] = 1
    end
    redis.call('HSET', KEYS[2], p, e)
    changed = true
  end
  reply[#reply + 1] = e
  reply[#reply + 1] = ahead
end
if changed then
  redis.call('HSET', KEYS[1], 'seq', seq, 'admitted', admitted, 'pending', pending, 'soldout', soldout)
end
countInto(KEYS[3], #ARGV - 3)
reply[3] = seq
return reply

-- The admission gate: admits a batch of applications to one event's line, in order.
-- KEYS[1] the event's state hash, KEYS[2] its applications hash, KEYS[3] this second's apply counter
-- ARGV[1] now (epoch ms), ARGV[2..] participant ids, in arrival order
-- Reply: {0} when the event has no state (unknown, or lost by Redis: rebuild it first); otherwise
--   {1, decided through, outcome, entry, outcome, entry, ...} per participant, outcome 1 ACCEPTED, 2 ALREADY_APPLIED,
--   3 SOLD_OUT (the gate is closed: admitted - released >= stock; with a claim window, issued >= stock, since
--   everyone beyond the stock is WAITLISTED while offers are open), 4 NOT_OPEN; entry is the stored
--   application ('' when NOT_OPEN).
-- @include "helpers.lua"
local s = redis.call('HMGET', KEYS[1], 'ready', 'status', 'opensAt', 'closesAt', 'stock', 'seq', 'admitted', 'released', 'pending', 'soldout', 'through', 'claim', 'issued')
if not s[1] then return {0} end
local now = ARGV[1]
local open = isOpen(s[2], s[3], s[4], tonumber(now))
local stock, seq, admitted, released, pending, soldout = num(s[5]), num(s[6]), num(s[7]), num(s[8]), num(s[9]), num(s[10])
local reply = {1, num(s[11])}
local changed = false
for i = 2, #ARGV do
  local p = ARGV[i]
  local e = redis.call('HGET', KEYS[2], p)
  if e then
    reply[#reply + 1] = 2
  elseif not open then
    reply[#reply + 1] = 4
    e = ''
  else
    seq = seq + 1
    local full = admitted - released >= stock
    if num(s[12]) > 0 then full = num(s[13]) >= stock end -- claim window
    if full then
      e = 'S|' .. seq .. '|' .. now .. '|' .. now .. '|'
      soldout = soldout + 1
      reply[#reply + 1] = 3
    else
      e = 'P|' .. seq .. '|' .. now .. '||'
      admitted = admitted + 1
      pending = pending + 1
      reply[#reply + 1] = 1
    end
    redis.call('HSET', KEYS[2], p, e)
    changed = true
  end
  reply[#reply + 1] = e
end
if changed then
  redis.call('HSET', KEYS[1], 'seq', seq, 'admitted', admitted, 'pending', pending, 'soldout', soldout)
end
redis.call('INCRBY', KEYS[3], #ARGV - 1)
redis.call('PEXPIRE', KEYS[3], 10000)
return reply

-- Places the waiting room's draw in line: participant k of the recorded order takes position k, PENDING while
-- the gate has room (admitted - released < stock; with a claim window, issued < stock, as admit.lua: the issuer
-- waitlists those beyond the stock) and SOLD_OUT at the gate beyond it, exactly as if they had
-- arrived in that order. Idempotent: a participant already placed (or decided) keeps its entry, so a drawer
-- that died half-way is finished by another running the same recorded order again. A drawn participant with
-- no entry (Redis lost it) is placed too: MySQL's draw is the truth.
-- Entries are stamped with the placing time (their arrival is in MySQL's `waiting`), so the sweeper's grace
-- covers the produce that follows, as it does for an admission.
-- A PENDING placement enters the line (KEYS[3]) at its position, as admit.lua's admissions do, so decide.lua's rank
-- rule counts it ahead of every later position.
-- KEYS[1] the event's state hash, KEYS[2] its applications hash, KEYS[3] its line (PENDING admissions by position)
-- ARGV[1] now (ms), ARGV[2] how many were drawn (W), ARGV[3] '1' on the last chunk, then pairs: participant id, position
-- Reply: {0} no state (rebuild first); otherwise {1, decided through, entry, entry, ...}, one per pair as it stands
-- @include "helpers.lua"
local s = redis.call('HMGET', KEYS[1], 'ready', 'stock', 'seq', 'admitted', 'released', 'pending', 'soldout', 'waiting', 'through', 'claim', 'issued')
if not s[1] then return {0} end
local now = ARGV[1]
local stock, seq, admitted, released, pending, soldout, waiting = num(s[2]), num(s[3]), num(s[4]), num(s[5]), num(s[6]), num(s[7]), num(s[8])
local reply = {1, num(s[9])}
for i = 4, #ARGV, 2 do
  local p, pos = ARGV[i], ARGV[i + 1]
  local e = redis.call('HGET', KEYS[2], p)
  local st = entryStatus(e)
  if not e or st == 'W' then
    if st == 'W' and waiting > 0 then waiting = waiting - 1 end
    local full = admitted - released >= stock
    if num(s[10]) > 0 then full = num(s[11]) >= stock end -- claim window: as admit.lua, the rest are waitlisted
    if full then
      e = 'S|' .. pos .. '|' .. now .. '|' .. now .. '|'
      soldout = soldout + 1
    else
      e = 'P|' .. pos .. '|' .. now .. '||'
      redis.call('ZADD', KEYS[3], pos, p)
      admitted = admitted + 1
      pending = pending + 1
    end
    redis.call('HSET', KEYS[2], p, e)
  end
  reply[#reply + 1] = e
end
local drawnCount = tonumber(ARGV[2])
if drawnCount > seq then seq = drawnCount end
redis.call('HSET', KEYS[1], 'seq', seq, 'admitted', admitted, 'pending', pending, 'soldout', soldout, 'waiting', waiting)
-- The last chunk opens the gate to later applicants (after position W); WAITING entries left are not in the draw.
if ARGV[3] == '1' then redis.call('HSET', KEYS[1], 'drawn', 1, 'waiting', 0) end
return reply

-- Undoes admissions whose record never reached Kafka (the produce failed for sure), so nobody is left PENDING
-- that no consumer will see. Only an entry still PENDING at the given position is removed: one decided meanwhile
-- (ISSUED, or SOLD_OUT at the gate or by the issuer) is a told answer and stays, and an entry at another position
-- is a later admission of the same participant. An undone admission is released: it reopens the gate.
-- KEYS[1] the event's state hash, KEYS[2] its applications hash
-- ARGV pairs: participant id, the position it was admitted at
-- Reply: how many admissions were undone
-- @include "helpers.lua"
local s = redis.call('HMGET', KEYS[1], 'ready', 'released', 'pending')
if not s[1] then return 0 end
local released, pending = num(s[2]), num(s[3])
local undone = 0
for i = 1, #ARGV, 2 do
  local e = redis.call('HGET', KEYS[2], ARGV[i])
  if entryStatus(e) == 'P' and entryPosition(e) == tonumber(ARGV[i + 1]) then
    redis.call('HDEL', KEYS[2], ARGV[i])
    released = released + 1
    if pending > 0 then pending = pending - 1 end
    undone = undone + 1
  end
end
if undone > 0 then redis.call('HSET', KEYS[1], 'released', released, 'pending', pending) end
return undone

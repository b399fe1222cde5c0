-- Forgets SOLD_OUT answers the gate stored but never gave: their produce failed, so the participants were
-- answered UNAVAILABLE, and a SOLD_OUT kept in Redis without its record would be an answer MySQL never gets.
-- Only an entry exactly as the gate stored it is removed (another one is a later answer, or the issuer's).
-- KEYS[1] the event's state hash, KEYS[2] its applications hash
-- ARGV pairs: participant id, the entry the gate stored
-- Reply: how many were forgotten
-- @include "helpers.lua"
local removed = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[2], ARGV[i])
    removed = removed + 1
  end
end
if removed > 0 then
  local soldout = num(redis.call('HGET', KEYS[1], 'soldout'))
  redis.call('HSET', KEYS[1], 'soldout', math.max(0, soldout - removed))
end
return removed

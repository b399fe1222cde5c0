-- Undoes admissions whose produce to Kafka failed, so nobody is left PENDING that no consumer will see.
-- An undone admission is released: it reopens the gate for the next in line.
-- KEYS[1] the event's state hash, KEYS[2] its applications hash
-- ARGV pairs: participant id, the position it was admitted at (an entry at another position is left alone)
-- Reply: how many admissions were undone
-- @include "helpers.lua"
local s = redis.call('HMGET', KEYS[1], 'ready', 'released', 'pending', 'soldout')
if not s[1] then return 0 end
local released, pending, soldout = num(s[2]), num(s[3]), num(s[4])
local undone = 0
for i = 1, #ARGV, 2 do
  local e = redis.call('HGET', KEYS[2], ARGV[i])
  if e and entryPosition(e) == tonumber(ARGV[i + 1]) then
    local st = entryStatus(e)
    if st == 'P' then
      released = released + 1
      if pending > 0 then pending = pending - 1 end
    elseif st == 'S' and soldout > 0 then
      soldout = soldout - 1
    end
    if st ~= 'I' then
      redis.call('HDEL', KEYS[2], ARGV[i])
      undone = undone + 1
    end
  end
end
redis.call('HSET', KEYS[1], 'released', released, 'pending', pending, 'soldout', soldout)
return undone

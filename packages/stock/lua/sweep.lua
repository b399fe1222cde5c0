-- Sweeps orphaned admissions: PENDING entries whose record never reached Kafka (the event service died
-- between the gate and the produce), chosen by the event service's sweeper. Each is removed, so its
-- participant may apply again (at a new position), and released, reopening the gate for the next in line.
-- Unlike undo.lua, only a PENDING entry is touched: one decided meanwhile is the issuer's and stays.
-- KEYS[1] the event's state hash, KEYS[2] its applications hash
-- ARGV pairs: participant id, the position it had when chosen (an entry at another position is left alone)
-- Reply: how many admissions were swept
-- @include "helpers.lua"
local s = redis.call('HMGET', KEYS[1], 'ready', 'released', 'pending')
if not s[1] then return 0 end
local released, pending = num(s[2]), num(s[3])
local swept = 0
for i = 1, #ARGV, 2 do
  local e = redis.call('HGET', KEYS[2], ARGV[i])
  if entryStatus(e) == 'P' and entryPosition(e) == tonumber(ARGV[i + 1]) then
    redis.call('HDEL', KEYS[2], ARGV[i])
    released = released + 1
    if pending > 0 then pending = pending - 1 end
    swept = swept + 1
  end
end
if swept > 0 then redis.call('HSET', KEYS[1], 'released', released, 'pending', pending) end
return swept

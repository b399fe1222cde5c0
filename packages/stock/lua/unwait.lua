-- Takes back WAITING entries whose MySQL record could not be written (or was refused: the draw had already
-- happened), before anyone is told WAITING. Only entries still WAITING are removed.
-- KEYS[1] the event's state hash, KEYS[2] its applications hash
-- ARGV participant ids
-- Reply: how many were removed
-- @include "helpers.lua"
local removed = 0
for i = 1, #ARGV do
  if entryStatus(redis.call('HGET', KEYS[2], ARGV[i])) == 'W' then
    redis.call('HDEL', KEYS[2], ARGV[i])
    removed = removed + 1
  end
end
if removed > 0 then
  local waiting = num(redis.call('HGET', KEYS[1], 'waiting')) - removed
  if waiting < 0 then waiting = 0 end
  redis.call('HSET', KEYS[1], 'waiting', waiting)
end
return removed

-- Takes one unit of a fixed-window budget (the per-client-IP send budget).
-- KEYS[1] the budget's counter
-- ARGV[1] units per window   ARGV[2] window, ms
-- Reply: {0, used} taken;  {3, retry_ms} the budget is spent until the window ends.
local max = tonumber(ARGV[1])
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= max then
  local left = redis.call('PTTL', KEYS[1])
  if left < 0 then left = tonumber(ARGV[2]) end
  return {3, left}
end
used = redis.call('INCR', KEYS[1])
if used == 1 then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
end
return {0, used}

-- Reserves one code send for an address and stores the code's keyed hash, atomically.
-- KEYS[1] cooldown key of the address   (exists while a resend is too soon)
-- KEYS[2] send counter of the address   (fixed window)
-- KEYS[3] code record of the address    (hash: h = code hash, a = attempts taken)
-- ARGV[1] cooldown, ms (0 = none)   ARGV[2] sends allowed per window   ARGV[3] window, ms
-- ARGV[4] the new code's hash       ARGV[5] code lifetime, ms
-- Reply: {0, 0} reserved (any earlier code is replaced);
--        {1, retry_ms} the address is cooling down;  {2, retry_ms} the address used its window.
local cooldown_ms = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
local window_ms = tonumber(ARGV[3])

local cooling = redis.call('PTTL', KEYS[1])
if cooling > 0 then
  return {1, cooling}
end
local sent = tonumber(redis.call('GET', KEYS[2]) or '0')
if sent >= max then
  local left = redis.call('PTTL', KEYS[2])
  if left < 0 then left = window_ms end
  return {2, left}
end

if cooldown_ms > 0 then
  redis.call('SET', KEYS[1], '1', 'PX', cooldown_ms)
end
if redis.call('INCR', KEYS[2]) == 1 then
  redis.call('PEXPIRE', KEYS[2], window_ms)
end
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[3], 'h', ARGV[4], 'a', 0)
redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[5]))
return {0, 0}

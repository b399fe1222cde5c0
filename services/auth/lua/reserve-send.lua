-- Reserves one code send for an address and stores the code's keyed hash, atomically.
-- The cooldown and the send window are per client and address, so nobody else's requests can use up
-- what an address's owner may ask for; the address's overall window (higher) bounds the e-mails it
-- receives from everyone together.
-- KEYS[1] cooldown key of this client for the address   (exists while a resend is too soon)
-- KEYS[2] send counter of this client for the address   (fixed window)
-- KEYS[3] code record of the address    (hash: h = code hash, a = attempts taken)
-- KEYS[4] send counter of the address, every client     (fixed window)
-- ARGV[1] cooldown, ms (0 = none)   ARGV[2] sends allowed per window, per client   ARGV[3] window, ms
-- ARGV[4] the new code's hash       ARGV[5] code lifetime, ms   ARGV[6] sends allowed per window, overall
-- Reply: {0, 0} reserved (any earlier code is replaced);
--        {1, retry_ms} the address is cooling down;  {2, retry_ms} the address used its window.
local cooldown_ms = tonumber(ARGV[1])
local window_ms = tonumber(ARGV[3])

local cooling = redis.call('PTTL', KEYS[1])
if cooling > 0 then
  return {1, cooling}
end
for _, limit in ipairs({{KEYS[2], tonumber(ARGV[2])}, {KEYS[4], tonumber(ARGV[6])}}) do
  local sent = tonumber(redis.call('GET', limit[1]) or '0')
  if sent >= limit[2] then
    local left = redis.call('PTTL', limit[1])
    if left < 0 then left = window_ms end
    return {2, left}
  end
end

if cooldown_ms > 0 then
  redis.call('SET', KEYS[1], '1', 'PX', cooldown_ms)
end
for _, key in ipairs({KEYS[2], KEYS[4]}) do
  if redis.call('INCR', key) == 1 then
    redis.call('PEXPIRE', key, window_ms)
  end
end
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[3], 'h', ARGV[4], 'a', 0)
redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[5]))
return {0, 0}

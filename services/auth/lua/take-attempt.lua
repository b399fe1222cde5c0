-- Counts one verification try against an address's pending code and hands back the code's
-- hash, which the service compares in constant time. A try is counted before the compare,
-- so at most ARGV[1] tries ever reach it; after that the code is void.
-- KEYS[1] code record (hash: h = code hash, a = tries taken, used = 1 once redeemed)
-- ARGV[1] tries allowed per code
-- Reply: {0, hash, tries_left} compare against this;  {4} no pending code (expired or never sent);
--        {5} the code was already used;    {6} too many tries: the code is void.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {4}
end
if redis.call('HGET', KEYS[1], 'used') == '1' then
  return {5}
end
local taken = redis.call('HINCRBY', KEYS[1], 'a', 1)
if taken > tonumber(ARGV[1]) then
  redis.call('HDEL', KEYS[1], 'h')
  return {6}
end
return {0, redis.call('HGET', KEYS[1], 'h'), tonumber(ARGV[1]) - taken}

-- The SES account's send budget, shared by every replica that sends e-mail: a token bucket
-- refilled at the account's rate, holding at most `capacity` tokens. Verification codes go
-- first: a code takes any token and may queue for one up to `max_queue_ms` ahead (the bucket
-- goes negative, so codes are served in arrival order), while a result e-mail takes a token
-- only when `reserve` tokens are still left for codes after it, and never queues.
-- The clock is the Redis server's (TIME), the same for every replica.
--
-- KEYS[1]  the bucket (hash: tokens, at)
-- ARGV[1]  rate: tokens per second
-- ARGV[2]  capacity: most tokens held
-- ARGV[3]  reserve: tokens a result e-mail must leave for codes
-- ARGV[4]  priority: "code" or "result"
-- ARGV[5]  max_queue_ms: how far ahead a code may reserve its token (0: only a token there now)
--
-- Reply: {1, wait_ms}        granted; send after wait_ms (0: at once)
--        {0, retry_after_ms}  refused; the earliest a take of this priority can succeed,
--                             if nobody else takes a token meanwhile
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local reserve = tonumber(ARGV[3])
local priority = ARGV[4]
local max_queue_ms = tonumber(ARGV[5])

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local state = redis.call('HMGET', key, 'tokens', 'at')
local tokens = capacity
if state[1] then
  local elapsed = math.max(0, now - tonumber(state[2]))
  tokens = math.min(capacity, tonumber(state[1]) + elapsed * rate / 1000)
end

local function store(left)
  redis.call('HSET', key, 'tokens', tostring(left), 'at', tostring(now))
  -- Kept until it would be full again: a bucket that expired reads as full, which it would be.
  redis.call('PEXPIRE', key, math.ceil((capacity - left) * 1000 / rate) + 1000)
end

if priority == 'code' then
  local left = tokens - 1
  local wait_ms = 0
  if left < 0 then wait_ms = math.ceil(-left * 1000 / rate) end
  if wait_ms > max_queue_ms then
    return {0, math.max(1, wait_ms - max_queue_ms)}
  end
  store(left)
  return {1, wait_ms}
end

if tokens - 1 >= reserve then
  store(tokens - 1)
  return {1, 0}
end
return {0, math.max(1, math.ceil((reserve + 1 - tokens) * 1000 / rate))}

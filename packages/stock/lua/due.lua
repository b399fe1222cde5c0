-- Claim windows: what is due of one event, for the issuers' deadline poller (any replica, any number).
-- Takes the offers whose claim deadline has passed and re-arms each `retry` ms later, atomically, so
-- replicas polling together do not each produce the same expiry; a re-armed one fires again should its
-- expiry record not be decided (claims.lua removes it once decided). Also reports a line that closed
-- (status CLOSED or past closesAt) with participants still WAITLISTED, re-armed the same way.
-- KEYS[1] the due zset, KEYS[2] the state hash
-- ARGV[1] now (ms), ARGV[2] retry (ms), ARGV[3] at most this many
-- Reply: {close (0|1), live (0|1: offers open, waitlisted, or not closed), participant, claim by, ...}
local now, retry = tonumber(ARGV[1]), tonumber(ARGV[2])
local s = redis.call('HMGET', KEYS[2], 'status', 'closesAt', 'waitlisted', 'offered', 'closeNext')
local closed = s[1] == 'CLOSED' or (s[2] and s[2] ~= '' and now >= tonumber(s[2]))
local waitlisted, offered = tonumber(s[3] or '0') or 0, tonumber(s[4] or '0') or 0
local reply = {0, 1}
if closed and waitlisted > 0 and now >= (tonumber(s[5] or '0') or 0) then
  reply[1] = 1
  redis.call('HSET', KEYS[2], 'closeNext', now + retry)
end
if closed and waitlisted == 0 and offered == 0 then reply[2] = 0 end
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
for i = 1, #due, 2 do
  redis.call('ZADD', KEYS[1], now + retry, due[i])
  reply[#reply + 1] = due[i]
  reply[#reply + 1] = due[i + 1]
end
return reply

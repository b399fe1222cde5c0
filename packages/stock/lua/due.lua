-- Claim windows: what is due of one event, for the issuers' deadline poller (any replica, any number).
-- Takes the offers whose claim deadline has passed and re-arms each `retry` ms later, atomically, so
-- replicas polling together do not each produce the same expiry; a re-armed one fires again should its
-- expiry record not be decided (claims.lua removes it once decided). Also reports a line that closed
-- (status CLOSED or past closesAt) with participants still WAITLISTED, re-armed the same way; and room the
-- earliest WAITLISTED could take although no operation freed it (an admission ahead of it was undone, so its
-- record, which claims.lua would have passed the room down on, never comes), re-armed the same way.
-- KEYS[1] the due zset, KEYS[2] the state hash, KEYS[3] the waitlist, KEYS[4] the line (PENDING admissions)
-- ARGV[1] now (ms), ARGV[2] retry (ms), ARGV[3] at most this many
-- Reply: {close (0|1), live (0|1: offers open, waitlisted, or not closed), pass (how many PASS records are due),
--   participant, claim by, ...}
-- @include "helpers.lua"
local now, retry = tonumber(ARGV[1]), tonumber(ARGV[2])
local s = redis.call('HMGET', KEYS[2], 'status', 'closesAt', 'waitlisted', 'offered', 'closeNext', 'stock', 'issued',
  'maxOffers', 'passNext')
local closed = s[1] == 'CLOSED' or (s[2] and s[2] ~= '' and now >= tonumber(s[2]))
local waitlisted, offered = num(s[3]), num(s[4])
local reply = {0, 1, 0}
if closed and waitlisted > 0 and now >= num(s[5]) then
  reply[1] = 1
  redis.call('HSET', KEYS[2], 'closeNext', now + retry)
end
if closed and waitlisted == 0 and offered == 0 then reply[2] = 0 end
-- The room claims.lua's promote() would give the earliest waitlisted, counting the PENDING admissions before it.
if not closed and waitlisted > 0 and now >= num(s[9]) then
  local first = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  if #first > 0 then
    local stock, issued, maxOffers = num(s[6]), num(s[7]), num(s[8])
    local ahead = redis.call('ZCOUNT', KEYS[4], '-inf', '(' .. first[2])
    local free = math.min(offerRoom(stock, issued, offered, maxOffers, ahead), waitlisted)
    if free > 0 then
      reply[3] = free
      redis.call('HSET', KEYS[2], 'passNext', now + retry)
    end
  end
end
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
for i = 1, #due, 2 do
  redis.call('ZADD', KEYS[1], now + retry, due[i])
  reply[#reply + 1] = due[i]
  reply[#reply + 1] = due[i + 1]
end
return reply

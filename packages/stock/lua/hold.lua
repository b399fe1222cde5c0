-- Lifts the hold a rebuild put on an event's admissions. A rebuild knows the positions MySQL holds, not those
-- still travelling through Kafka (admitted by any event-service replica, not decided yet), so it holds the
-- gate until the issuer has consumed everything produced before it; the caller checks that (the issuer's
-- group committed past the partition's end, read once no produce begun before the hold can still land) and
-- passes MySQL's watermark, which then covers every position handed out: `seq` is raised to it.
-- KEYS[1] the event's state hash
-- ARGV[1] held since (the hold being lifted; another one, set by a later rebuild, stays), ARGV[2] MySQL's
--   decided through
-- Reply: 1 lifted (or not held), 0 another hold is in place
-- @include "helpers.lua"
local s = redis.call('HMGET', KEYS[1], 'hold', 'seq')
if not s[1] or s[1] == '' then return 1 end
if s[1] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'hold', '', 'seq', math.max(num(s[2]), tonumber(ARGV[2])))
return 1

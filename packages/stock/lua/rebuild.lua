-- Rebuilds one event's hot state from MySQL's truth in ONE call, so no reader ever sees decisions without
-- the counters over them (a flush between two calls once left Redis counting stock MySQL did not have).
-- Without `force` it writes only when no state is there (Redis lost it; another process may have rebuilt
-- it first). With `force` it replaces a state that is there but stale (Redis went back in time: a lagging
-- replica took over, or an older snapshot was loaded), which the issuer found out from MySQL's watermark.
-- Entries: every MySQL decision is written over what Redis holds. An entry Redis holds that MySQL lacks is
-- kept when PENDING or SOLD_OUT (its record is on its way through Kafka: the issuer decides or records
-- it), and set back to PENDING at its position when ISSUED (a decision MySQL never committed: its record
-- decides it again, so no stock is counted that MySQL does not hold).
-- Counters are recounted over the entries; `issued` is MySQL's. Positions never go back: `seq` is the
-- highest of the old state's, every entry's, MySQL's watermark and the caller's floor.
-- Claim windows (issue #17): an OFFERED, WAITLISTED or EXPIRED entry MySQL lacks is set back to PENDING like an
-- ISSUED one (the apply's decision was never committed); the waitlist (by position) and the offers' deadlines (due)
-- are rebuilt from the entries, so a forced rebuild keeps every offer, deadline and waitlisted participant.
-- A waiting room (issue #17): before its draw is placed, WAITING entries (MySQL's `waiting`, passed as pairs, and
-- any Redis holds) are counted in `waiting`; once placed, a WAITING entry left is not in the line (the draw's
-- records are in Kafka; admit.lua treats it as a new applicant), so it is removed.
-- KEYS[1] the event's state hash, KEYS[2] its applications hash, KEYS[3] its line (rebuilt from the PENDING entries),
--   KEYS[4] its waitlist, KEYS[5] its offers' deadlines (both rebuilt from the entries; claim windows)
-- ARGV[1] force ('1' or '0'), ARGV[2] epoch (a new random id), ARGV[3] stock, ARGV[4] status,
--   ARGV[5] opens at (ms or ''), ARGV[6] closes at (ms or ''), ARGV[7] the lowest `seq` allowed,
--   ARGV[8] issued (MySQL's count), ARGV[9] decided through (MySQL's watermark), ARGV[10] held since (ms, or
--   '': not held; see hold.lua), ARGV[11] the epoch found stale ('' for any: with `force`, a state of
--   another epoch was rebuilt meanwhile and is kept), ARGV[12] waiting room opens at (ms or ''), ARGV[13] '1' when
--   its draw is placed (else ''), ARGV[14] claim window (s; 0 none), ARGV[15] max open offers (0: up to the stock),
--   then pairs: participant id, entry (MySQL's decisions, and who is WAITING)
-- Reply: 1 when written, 0 when a state was already there (and not forced, or rebuilt meanwhile)
-- @include "helpers.lua"
local old = redis.call('HMGET', KEYS[1], 'ready', 'epoch', 'seq')
if old[1] and (ARGV[1] ~= '1' or (ARGV[11] ~= '' and old[2] ~= ARGV[11])) then return 0 end
local seq = math.max(num(old[3]), tonumber(ARGV[7]))
local fromMysql = {}
for i = 16, #ARGV, 2 do
  fromMysql[ARGV[i]] = true
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
end
local drawn = ARGV[13] == '1'
local soldout, pending, waiting, offered, waitlisted, expired = 0, 0, 0, 0, 0, 0
redis.call('DEL', KEYS[3], KEYS[4], KEYS[5])
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  local p, e = all[i], all[i + 1]
  local st = entryStatus(e)
  local pos = entryPosition(e)
  if pos > seq then seq = pos end
  if (st == 'I' or st == 'O' or st == 'L' or st == 'E') and not fromMysql[p] then
    local applied = string.match(e, '^.|[^|]*|([^|]*)|')
    redis.call('HSET', KEYS[2], p, 'P|' .. pos .. '|' .. applied .. '||')
    st = 'P'
  end
  if st == 'P' then
    pending = pending + 1
    redis.call('ZADD', KEYS[3], pos, p)
  elseif st == 'S' then soldout = soldout + 1
  elseif st == 'O' then
    offered = offered + 1
    redis.call('ZADD', KEYS[5], tonumber(string.match(e, '|([^|]*)$')) or 0, p)
  elseif st == 'L' then
    waitlisted = waitlisted + 1
    redis.call('ZADD', KEYS[4], pos, p)
  elseif st == 'E' then expired = expired + 1
  elseif st == 'W' and drawn then redis.call('HDEL', KEYS[2], p)
  elseif st == 'W' then waiting = waiting + 1 end
end
local issued = tonumber(ARGV[8])
redis.call('HSET', KEYS[1],
  'epoch', ARGV[2], 'stock', ARGV[3], 'status', ARGV[4], 'opensAt', ARGV[5], 'closesAt', ARGV[6],
  'seq', seq, 'issued', issued, 'soldout', soldout, 'through', ARGV[9],
  'admitted', issued + pending, 'released', 0, 'pending', pending, 'hold', ARGV[10],
  'wr', ARGV[12], 'drawn', drawn and 1 or '', 'waiting', waiting,
  'claim', ARGV[14], 'maxOffers', ARGV[15], 'offered', offered, 'waitlisted', waitlisted, 'expired', expired, 'ready', 1)
return 1

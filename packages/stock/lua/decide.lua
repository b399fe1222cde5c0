-- The issuer's decision over one event's applications, in line order: the authority over the stock.
-- Each decision is remembered, so a redelivered application gets the same answer (and gift code).
-- A record decides only the entry at its own position: a PENDING entry at another position is a later
-- admission of the same participant (this record's admission was undone or swept, then they applied again),
-- which its own record decides; this record is then left undecided and its entry answered as it stands.
-- Winners are the earliest positions whatever order the records arrive in (several event-service replicas
-- produce to the partition side by side): an application wins only if the stock covers it after every
-- PENDING admission before it in the line (KEYS[4]), which the gate admitted first and whose records come.
-- KEYS[1] the event's state hash, KEYS[2] its applications hash, KEYS[3] this tenth of a second's decision counter,
--   KEYS[4] its line (PENDING admissions by position)
-- ARGV[1] now (epoch ms), then 5 per application: participant id, position, applied at (ms),
--   the gate's decision time (ms; '0' unless the event service already answered SOLD_OUT),
--   the gift code to store if it wins
-- Reply: {0} when the event has no state (rebuild it first); otherwise
--   {1, epoch, stock, issued, decided through, issued before, decided through before, fresh, entry, entry, ...},
--   one stored entry per application (a PENDING one when the record was not this participant's live admission:
--   nothing to decide or write for it); `fresh` holds one character per application, '1' when this call
--   decided it (not a remembered decision). The before-values are the watermark Redis claims, which the
--   issuer's MySQL transaction checks (MySQL is the authority; a mismatch means this Redis is stale).
--   Stock left: ISSUED and issued + 1; none: SOLD_OUT and released + 1 (that admission took no stock). A record
--   whose entry Redis lost counts as admitted when it wins (and is not released when it loses), so the gate keeps
--   admitted - released = issued + pending.
--   A consumed position above `seq` raises it: positions reached Kafka are never handed out again.
-- @include "helpers.lua"
local s = redis.call('HMGET', KEYS[1], 'ready', 'epoch', 'stock', 'issued', 'released', 'pending', 'soldout', 'through', 'seq', 'admitted')
if not s[1] then return {0} end
local now = ARGV[1]
local stock, issued, released, pending, soldout, through = num(s[3]), num(s[4]), num(s[5]), num(s[6]), num(s[7]), num(s[8])
local seq, admitted = num(s[9]), num(s[10])
local reply = {1, s[2] or '', stock, 0, 0, issued, through, ''}
local fresh = {}
local decided = 0
for i = 2, #ARGV, 5 do
  local p, pos, applied, gateAt, code = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local e = redis.call('HGET', KEYS[2], p)
  -- undecided and this record's own: no entry (Redis lost it, or the admission was undone) or PENDING at pos
  if not isDecided(e) and (not e or entryPosition(e) == tonumber(pos)) then
    if e and pending > 0 then pending = pending - 1 end
    redis.call('ZREM', KEYS[4], p)
    if gateAt ~= '0' then
      e = 'S|' .. pos .. '|' .. applied .. '|' .. gateAt .. '|'
      soldout = soldout + 1
    elseif issued + redis.call('ZCOUNT', KEYS[4], '-inf', '(' .. pos) < stock then
      -- an admission Redis had lost (not counted in admitted) now holds an item: count it, as settle.lua does
      if not e then admitted = admitted + 1 end
      e = 'I|' .. pos .. '|' .. applied .. '|' .. now .. '|' .. code
      issued = issued + 1
    else
      if e then released = released + 1 end
      e = 'S|' .. pos .. '|' .. applied .. '|' .. now .. '|'
      soldout = soldout + 1
    end
    redis.call('HSET', KEYS[2], p, e)
    decided = decided + 1
    fresh[#fresh + 1] = '1'
  else
    fresh[#fresh + 1] = '0'
  end
  local n = tonumber(pos)
  if n > through then through = n end
  if n > seq then seq = n end
  reply[#reply + 1] = e
end
redis.call('HSET', KEYS[1], 'issued', issued, 'admitted', admitted, 'released', released, 'pending', pending, 'soldout', soldout, 'through', through, 'seq', seq)
countInto(KEYS[3], decided)
reply[4] = issued
reply[5] = through
reply[8] = table.concat(fresh)
return reply

-- The issuer's decisions for one event WITH a claim window (state field `claim` > 0), in line order:
-- applications, claims, declines, expiries and the close, all from the event's Kafka partition, so one
-- order decides who gets which item. decide.lua stays the path of events without a window.
-- Entries (helpers.lua) add L (waitlisted), O (offered: '...|<code>|<claim by ms>') and E (expired).
--   take      = issued + offered           (never above stock)
--   an apply: stock untaken and fewer than maxOffers open, counting every PENDING admission before it in the line
--             (KEYS[6]: the rank rule of decide.lua, so winners are the earliest positions whatever order the
--             records arrive in), and nobody waitlisted before it -> O;
--             otherwise, while not every item is claimed and the line is not closed -> W; else S
--   a claim (at <= claim by) -> I; a decline, or an expiry once now >= claim by -> E;
--   then the earliest W is offered what was freed (an item, or an offer slot), with a fresh window;
--   a pass (P: room freed by no operation of its own, an admission ahead undone) -> the same for the earliest W;
--   once every item is claimed, or the line closed, every W becomes S.
-- KEYS[1] state hash, KEYS[2] apps hash, KEYS[3] waitlist zset, KEYS[4] due zset, KEYS[5] this tenth of a second's
--   counter of line moves, KEYS[6] the line (PENDING admissions by position; a decided apply leaves it), KEYS[7] this
--   tenth of a second's counter of items passed down to the waitlist (the pace a WAITLISTED estimate reads)
-- ARGV[1] now (ms), then 6 per operation: kind (A apply, C claim, D decline, X expire, Z close, P pass),
--   participant id, position, applied at (ms), at (A: the gate's decision time or '0'; C/D: asked at; X: claim by),
--   a fresh gift code (for an offer this operation may make)
-- Reply: {0} without state; else {1, epoch, stock, issued, offered, through, issued before, offered before,
--   through before, participant, entry, ...}: each operation's participant with its entry as it now stands, then
--   every other entry it changed, in order. The before-values are the watermark Redis claims, which the issuer's
--   MySQL transaction checks (MySQL is the authority: a mismatch means this Redis is stale).
-- @include "helpers.lua"
local s = redis.call('HMGET', KEYS[1], 'ready', 'epoch', 'stock', 'issued', 'released', 'pending', 'soldout',
  'through', 'claim', 'maxOffers', 'offered', 'waitlisted', 'expired', 'status', 'opensAt', 'closesAt')
if not s[1] then return {0} end
local now = tonumber(ARGV[1])
local stock, issued, released, pending, soldout, through = num(s[3]), num(s[4]), num(s[5]), num(s[6]), num(s[7]), num(s[8])
local window, maxOffers, offered, waitlisted, expired = num(s[9]), num(s[10]), num(s[11]), num(s[12]), num(s[13])
local closed = s[14] == 'CLOSED' or (s[16] and s[16] ~= '' and now >= tonumber(s[16]))
local reply = {1, s[2] or '', stock, 0, 0, 0, issued, offered, through}
local changed = 0
local passed = 0

local function parts(e)
  local t = {}
  for field in string.gmatch(e .. '|', '([^|]*)|') do t[#t + 1] = field end
  return t
end
local function put(p, e)
  redis.call('HSET', KEYS[2], p, e)
  reply[#reply + 1] = p
  reply[#reply + 1] = e
  changed = changed + 1
end
local function offer(p, pos, applied, code)
  local by = now + window * 1000
  redis.call('ZADD', KEYS[4], by, p)
  offered = offered + 1
  return 'O|' .. pos .. '|' .. applied .. '|' .. now .. '|' .. code .. '|' .. by
end
-- PENDING admissions before a position: their records come, and they go first.
local function pendingBefore(pos)
  return redis.call('ZCOUNT', KEYS[6], '-inf', '(' .. pos)
end
-- The earliest waitlisted takes what an ended offer freed, if anything is free (after the PENDING before it).
local function promote(code)
  if closed then return end
  local first = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  if #first == 0 then return end
  local ahead = pendingBefore(first[2])
  if offerRoom(stock, issued, offered, maxOffers, ahead) <= 0 then return end
  local p = first[1]
  redis.call('ZREM', KEYS[3], p)
  waitlisted = waitlisted - 1
  local f = parts(redis.call('HGET', KEYS[2], p))
  put(p, offer(p, f[2], f[3], code))
  passed = passed + 1
end
-- Every item claimed, or the line closed: nobody waitlisted can be offered anything any more.
local function sellOutWaitlist()
  if not (closed or issued >= stock) then return end
  local rest = redis.call('ZRANGE', KEYS[3], 0, -1)
  for _, p in ipairs(rest) do
    local f = parts(redis.call('HGET', KEYS[2], p))
    put(p, 'S|' .. f[2] .. '|' .. f[3] .. '|' .. now .. '|')
    soldout = soldout + 1
    released = released + 1
  end
  if #rest > 0 then redis.call('DEL', KEYS[3]) end
  waitlisted = 0
end

for i = 2, #ARGV, 6 do
  local kind, p, pos, applied, at, code = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  local e = redis.call('HGET', KEYS[2], p)
  local st = entryStatus(e)
  local free = false
  if kind == 'A' then
    if not isDecided(e) and st ~= 'L' and st ~= 'O' and st ~= 'E' and (not e or entryPosition(e) == tonumber(pos)) then
      if e and pending > 0 then pending = pending - 1 end
      redis.call('ZREM', KEYS[6], p)
      local ahead = pendingBefore(pos)
      local waitlistedBefore = redis.call('ZCOUNT', KEYS[3], '-inf', '(' .. pos)
      free = true
      if at ~= '0' then
        e = 'S|' .. pos .. '|' .. applied .. '|' .. at .. '|'
        soldout = soldout + 1
      elseif not closed and offerRoom(stock, issued, offered, maxOffers, ahead) > 0 and waitlistedBefore == 0 then
        e = offer(p, pos, applied, code)
        free = false
      elseif not closed and issued < stock then
        e = 'L|' .. pos .. '|' .. applied .. '|' .. now .. '|'
        redis.call('ZADD', KEYS[3], tonumber(pos), p)
        waitlisted = waitlisted + 1
      else
        e = 'S|' .. pos .. '|' .. applied .. '|' .. now .. '|'
        soldout = soldout + 1
        released = released + 1
      end
      redis.call('HSET', KEYS[2], p, e)
      changed = changed + 1
    end
    if tonumber(pos) > through then through = tonumber(pos) end
    reply[#reply + 1] = p
    reply[#reply + 1] = e or ''
    -- This apply no longer stands before anyone: a later position it kept waitlisted may take what is free
    -- (with this operation's code, which the apply did not take).
    if free then promote(code) end
  elseif kind == 'Z' then
    closed = true
    sellOutWaitlist()
  elseif kind == 'P' then
    promote(code)
  else
    if st == 'O' then
      local f = parts(e)
      local by = tonumber(f[6])
      local ends = nil
      if kind == 'C' and tonumber(at) <= by then
        e = 'I|' .. f[2] .. '|' .. f[3] .. '|' .. now .. '|' .. f[5]
        issued = issued + 1
        ends = true
      elseif kind == 'D' or (kind == 'X' and now >= by) then
        e = 'E|' .. f[2] .. '|' .. f[3] .. '|' .. now .. '|'
        expired = expired + 1
        ends = true
      end
      if ends then
        offered = offered - 1
        redis.call('ZREM', KEYS[4], p)
        redis.call('HSET', KEYS[2], p, e)
        changed = changed + 1
        reply[#reply + 1] = p
        reply[#reply + 1] = e
        promote(code)
        sellOutWaitlist()
      else
        reply[#reply + 1] = p
        reply[#reply + 1] = e
      end
    elseif e then
      reply[#reply + 1] = p
      reply[#reply + 1] = e
    end
  end
end
sellOutWaitlist()
redis.call('HSET', KEYS[1], 'issued', issued, 'released', released, 'pending', pending, 'soldout', soldout,
  'through', through, 'offered', offered, 'waitlisted', waitlisted, 'expired', expired)
-- The line's pace (eventStats' decisionsPerSecond; estimated waits read the same counter): decisions, claims and
-- expiries all move the line.
countInto(KEYS[5], changed)
countInto(KEYS[7], passed)
reply[4] = issued
reply[5] = offered
reply[6] = through
return reply

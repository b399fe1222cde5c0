-- Helpers shared by the line's scripts (included, not registered).
-- An application is stored as one string: "<status>|<position>|<applied at ms>|<decided at ms>|<gift code>",
-- status P (pending), I (issued), S (sold out) or W (in the waiting room, position 0); decided at and gift code
-- may be empty.

local function num(v)
  if v == false or v == nil or v == '' then return 0 end
  return tonumber(v)
end

local function entryStatus(e)
  if not e then return nil end
  return string.sub(e, 1, 1)
end

local function isDecided(e)
  local s = entryStatus(e)
  return s == 'I' or s == 'S'
end

local function entryPosition(e)
  local bar = string.find(e, '|', 3, true)
  return tonumber(string.sub(e, 3, bar - 1))
end

-- Adds n to one of the event's short-lived counters (kept 10 s): applies per second (admit.lua, waitroom.lua), or
-- per tenth of a second the line's moves, which its pace reads (decide.lua, claims.lua: decisions, claims and
-- expiries), and the items passed down to the waitlist (claims.lua).
local function countInto(key, n)
  if n <= 0 then return end
  redis.call('INCRBY', key, n)
  redis.call('PEXPIRE', key, 10000)
end

-- Removes the given admissions that are still PENDING at the given position, releasing each (it reopens
-- the gate); anything decided meanwhile, or at another position, stays. Shared by undo.lua and sweep.lua.
-- KEYS[1] the event's state hash, KEYS[2] its applications hash, KEYS[3] its line; ARGV pairs: participant id, position.
-- Returns how many were removed.
local function releasePending()
  local s = redis.call('HMGET', KEYS[1], 'ready', 'released', 'pending')
  if not s[1] then return 0 end
  local released, pending = num(s[2]), num(s[3])
  local removed = 0
  for i = 1, #ARGV, 2 do
    local e = redis.call('HGET', KEYS[2], ARGV[i])
    if entryStatus(e) == 'P' and entryPosition(e) == tonumber(ARGV[i + 1]) then
      redis.call('HDEL', KEYS[2], ARGV[i])
      redis.call('ZREM', KEYS[3], ARGV[i])
      released = released + 1
      if pending > 0 then pending = pending - 1 end
      removed = removed + 1
    end
  end
  if removed > 0 then redis.call('HSET', KEYS[1], 'released', released, 'pending', pending) end
  return removed
end

-- Claim windows: how many more offers the line has room for, the PENDING admissions `ahead` of a position each
-- counted as taking one (their records come): within the stock untaken and the cap on open offers (`maxOffers`
-- <= 0: the stock). claims.lua offers and promotes by it, due.lua reports a pass by it.
local function offerRoom(stock, issued, offered, maxOffers, ahead)
  if maxOffers <= 0 then maxOffers = stock end
  return math.min(stock - issued - offered - ahead, maxOffers - offered - ahead)
end

-- Open: opened by an admin, or scheduled and its opening time has come; never after its closing time.
local function isOpen(status, opensAt, closesAt, now)
  if closesAt and closesAt ~= '' and now >= tonumber(closesAt) then return false end
  if status == 'OPEN' then return true end
  return status == 'SCHEDULED' and opensAt and opensAt ~= '' and now >= tonumber(opensAt)
end

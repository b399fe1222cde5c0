-- Helpers shared by the line's scripts (included, not registered).
-- An application is stored as one string: "<status>|<position>|<applied at ms>|<decided at ms>|<gift code>",
-- status P (pending), I (issued) or S (sold out); decided at and gift code may be empty.

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

-- Open: opened by an admin, or scheduled and its opening time has come; never after its closing time.
local function isOpen(status, opensAt, closesAt, now)
  if closesAt and closesAt ~= '' and now >= tonumber(closesAt) then return false end
  if status == 'OPEN' then return true end
  return status == 'SCHEDULED' and opensAt and opensAt ~= '' and now >= tonumber(opensAt)
end

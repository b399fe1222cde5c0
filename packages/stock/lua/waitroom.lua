-- The waiting room's side of the gate (included by admit.lua, not registered). An event with a waiting room
-- (`wr` set) and no draw placed yet (`drawn` unset) does not hand out positions: from `wr` until its opening,
-- a new applicant is stored WAITING ("W|0|<arrived at>||") and counted in `waiting`; once open, applies are held
-- (outcome 6) until the draw has placed everyone waiting (place.lua), so nobody arriving later can go ahead of them.
-- Returns the whole admit reply for the batch ({1, through, seq, outcome, entry, ahead, ...}; ahead is 0 but for one
-- already placed by a draw still being placed), or nil when the normal gate applies (no waiting room, or drawn). Participant ids from ARGV[4].
-- Outcomes: 2 ALREADY_APPLIED, 4 NOT_OPEN, 5 WAITING, 6 HELD (the draw is being placed; retry shortly).
local function waitingRoomAdmit(wr, drawn, status, opensAt, closesAt, through, seq, now)
  if not wr or wr == '' or (drawn and drawn ~= '') then return nil end
  local reply = {1, num(through), num(seq)}
  local open = isOpen(status, opensAt, closesAt, now)
  local closed = status == 'CLOSED' or (closesAt and closesAt ~= '' and now >= tonumber(closesAt))
  local inRoom = not open and not closed and status == 'SCHEDULED' and now >= tonumber(wr)
  local added = 0
  for i = 4, #ARGV do
    local p = ARGV[i]
    local e = redis.call('HGET', KEYS[2], p)
    local ahead = 0
    if e then
      reply[#reply + 1] = 2
      if entryStatus(e) == 'P' then ahead = redis.call('ZCOUNT', KEYS[4], '-inf', '(' .. entryPosition(e)) end
    elseif inRoom then
      e = 'W|0|' .. now .. '||'
      redis.call('HSET', KEYS[2], p, e)
      added = added + 1
      reply[#reply + 1] = 5
    elseif open then
      e = ''
      reply[#reply + 1] = 6
    else
      e = ''
      reply[#reply + 1] = 4
    end
    reply[#reply + 1] = e
    reply[#reply + 1] = ahead
  end
  if added > 0 then redis.call('HINCRBY', KEYS[1], 'waiting', added) end
  countInto(KEYS[3], #ARGV - 3)
  return reply
end

-- Right after the issuer committed decisions to MySQL, before it decides more of the event: if the state
-- was rebuilt in between (Redis lost it and a rebuild read MySQL before that commit), puts those
-- decisions back, so the stock counts them.
-- KEYS[1] the event's state hash, KEYS[2] its applications hash, KEYS[3] its line
-- ARGV[1] the state epoch the decisions were made in, ARGV[2] the highest position of the chunk (the watermark
--   MySQL now has: `through` is raised to it), then pairs: participant id, decided entry
-- Reply: how many decisions had to be put back
-- @include "helpers.lua"
local s = redis.call('HMGET', KEYS[1], 'ready', 'epoch', 'issued', 'admitted', 'released', 'pending', 'soldout', 'through')
local repaired = 0
if s[1] and s[2] ~= ARGV[1] then
  local issued, admitted, released, pending, soldout = num(s[3]), num(s[4]), num(s[5]), num(s[6]), num(s[7])
  for i = 3, #ARGV, 2 do
    local d = ARGV[i + 1]
    local e = redis.call('HGET', KEYS[2], ARGV[i])
    if not isDecided(e) then
      local won = entryStatus(d) == 'I'
      if e then
        if pending > 0 then pending = pending - 1 end
        if not won then released = released + 1 end
      elseif won then
        admitted = admitted + 1
      end
      if won then issued = issued + 1 else soldout = soldout + 1 end
      redis.call('HSET', KEYS[2], ARGV[i], d)
      redis.call('ZREM', KEYS[3], ARGV[i])
      repaired = repaired + 1
    end
  end
  redis.call('HSET', KEYS[1], 'issued', issued, 'admitted', admitted, 'released', released, 'pending', pending, 'soldout', soldout,
    'through', math.max(num(s[8]), tonumber(ARGV[2])))
end
return repaired

-- Changes one event's settings in its hot state (admin operations).
-- KEYS[1] the event's state hash
-- ARGV pairs: field, value; fields are status, opensAt, closesAt (ms or '') and stock
-- Reply: {1} done, {0} no state (rebuild it first), {2, issued, offered} refused: the stock would go below what is
-- taken (issued, and with a claim window offered: an open offer holds its item until claimed or ended)
-- @include "helpers.lua"
local s = redis.call('HMGET', KEYS[1], 'ready', 'issued', 'offered')
if not s[1] then return {0} end
if #ARGV == 0 then return {1} end
for i = 1, #ARGV, 2 do
  if ARGV[i] == 'stock' and tonumber(ARGV[i + 1]) < num(s[2]) + num(s[3]) then return {2, num(s[2]), num(s[3])} end
end
redis.call('HSET', KEYS[1], unpack(ARGV))
return {1}

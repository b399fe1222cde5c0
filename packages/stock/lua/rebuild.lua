-- Writes one event's hot state from MySQL's truth, unless a state is already there (another process
-- rebuilt it first). Run restore.lua for the decisions before: the state's `ready` opens it for use.
-- KEYS[1] the event's state hash
-- ARGV[1] epoch (a new random id), ARGV[2] stock, ARGV[3] status, ARGV[4] opens at (ms or ''),
--   ARGV[5] closes at (ms or ''), ARGV[6] last position, ARGV[7] issued, ARGV[8] sold out, ARGV[9] decided through,
--   ARGV[10] claim window (s; 0 none), ARGV[11] max open offers (0: up to the stock),
--   ARGV[12..14] applications offered, waitlisted, expired (claim windows)
-- Reply: 1 when written, 0 when a state was already there
if redis.call('HEXISTS', KEYS[1], 'ready') == 1 then return 0 end
redis.call('HSET', KEYS[1],
  'epoch', ARGV[1], 'stock', ARGV[2], 'status', ARGV[3], 'opensAt', ARGV[4], 'closesAt', ARGV[5],
  'seq', ARGV[6], 'issued', ARGV[7], 'soldout', ARGV[8], 'through', ARGV[9],
  'admitted', ARGV[7], 'released', 0, 'pending', 0, 'claim', ARGV[10] or 0, 'maxOffers', ARGV[11] or 0,
  'offered', ARGV[12] or 0, 'waitlisted', ARGV[13] or 0, 'expired', ARGV[14] or 0, 'ready', 1)
return 1

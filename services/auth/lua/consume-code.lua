-- Redeems a code once: deletes its hash and leaves a "used" mark for the rest of its
-- lifetime, so a second redeem of the same code is told apart from an expired one.
-- KEYS[1] code record
-- ARGV[1] the hash that matched
-- Reply: 1 redeemed;  0 someone else redeemed or replaced it first.
if redis.call('HGET', KEYS[1], 'h') ~= ARGV[1] then
  return 0
end
redis.call('HDEL', KEYS[1], 'h')
redis.call('HSET', KEYS[1], 'used', '1')
return 1

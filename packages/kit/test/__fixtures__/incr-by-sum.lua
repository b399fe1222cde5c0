-- Adds two numbers and increments a key by their sum.
-- KEYS[1] counter key
-- ARGV[1], ARGV[2] the two numbers
-- Reply: the counter's new value
-- @include "helpers.lua"
return redis.call('INCRBY', KEYS[1], add(tonumber(ARGV[1]), tonumber(ARGV[2])))

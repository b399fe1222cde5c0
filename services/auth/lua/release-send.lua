-- Undoes reserve-send after the e-mail could not be sent, so the address can retry at once
-- and no code that never arrived stays pending.
-- KEYS[1] cooldown key   KEYS[2] client's send counter   KEYS[3] code record
-- KEYS[4] the address's overall send counter (the same keys as reserve-send)
-- ARGV[1] the hash of the code that was not sent (a newer code is left alone)
-- Reply: 1
if redis.call('HGET', KEYS[3], 'h') == ARGV[1] then
  redis.call('DEL', KEYS[3])
end
redis.call('DEL', KEYS[1])
for _, key in ipairs({KEYS[2], KEYS[4]}) do
  if tonumber(redis.call('GET', key) or '0') > 0 then
    redis.call('DECR', key)
  end
end
return 1

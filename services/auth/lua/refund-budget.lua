-- Gives back one unit taken by take-budget (the send did not happen).
-- KEYS[1] the budget's counter
-- Reply: 1
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then
  redis.call('DECR', KEYS[1])
end
return 1

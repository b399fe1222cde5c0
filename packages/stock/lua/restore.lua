-- Restores remembered decisions (read from MySQL) into one event's applications hash before its state
-- is rebuilt; an entry already there is kept.
-- KEYS[1] the event's applications hash
-- ARGV pairs: participant id, entry
-- Reply: how many entries were written
local written = 0
for i = 1, #ARGV, 2 do
  written = written + redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
end
return written

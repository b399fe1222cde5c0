-- Sweeps orphaned admissions: PENDING entries whose record never reached Kafka (the event service died
-- between the gate and the produce), chosen by the event service's sweeper. Each is removed, so its
-- participant may apply again (at a new position), and released, reopening the gate for the next in line.
-- Unlike undo.lua, only a PENDING entry is touched: one decided meanwhile is the issuer's and stays.
-- KEYS[1] the event's state hash, KEYS[2] its applications hash, KEYS[3] its line
-- ARGV pairs: participant id, the position it had when chosen (an entry at another position is left alone)
-- Reply: how many admissions were swept
-- @include "helpers.lua"
return releasePending()

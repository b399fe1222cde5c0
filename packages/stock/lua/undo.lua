-- Undoes admissions whose record never reached Kafka (the produce failed for sure), so nobody is left PENDING
-- that no consumer will see. Only an entry still PENDING at the given position is removed: one decided meanwhile
-- (ISSUED, or SOLD_OUT at the gate or by the issuer) is a told answer and stays, and an entry at another position
-- is a later admission of the same participant. An undone admission is released: it reopens the gate.
-- KEYS[1] the event's state hash, KEYS[2] its applications hash, KEYS[3] its line
-- ARGV pairs: participant id, the position it was admitted at
-- Reply: how many admissions were undone
-- @include "helpers.lua"
return releasePending()

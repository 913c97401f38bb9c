-- Claims the right to send a state-changing step of a run: the entry is written only when the
-- step has none yet (exactly one execution of the run may send it), and the journal gets its
-- expiry. When an earlier (or concurrent) execution left an entry, that entry is answered in the
-- same round trip.
-- KEYS: journal
-- ARGV: field entryJson ttlMs
-- Returns {'claimed'}, or {'taken', <the entry's JSON>}.
local won = redis.call('HSETNX', KEY.journal, ARG.field, ARG.entryJson)
redis.call('PEXPIRE', KEY.journal, ARG.ttlMs)
if won == 1 then return {'claimed'} end
return {'taken', redis.call('HGET', KEY.journal, ARG.field)}

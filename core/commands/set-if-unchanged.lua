-- Compare-and-set of a whole string value: written only while it is still the one read.
-- KEYS: record
-- ARGV: expected next
-- Returns 'set', or 'changed' (another writer came first: read it again).
if redis.call('GET', KEY.record) ~= ARG.expected then return 'changed' end
redis.call('SET', KEY.record, ARG.next)
return 'set'

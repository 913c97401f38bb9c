-- A session stored in clear (written before sessions were sealed) is sealed in place once read,
-- unless it changed meanwhile; its version stays (the content is the same).
-- KEYS: session
-- ARGV: clear sealed
-- Returns 'sealed', or 'changed'.
if redis.call('HGET', KEY.session, 'data') ~= ARG.clear then return 'changed' end
redis.call('HSET', KEY.session, 'data', ARG.sealed)
return 'sealed'

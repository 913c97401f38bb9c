-- Writes a session only when the stored version is the one the run started from: two runs
-- sharing a session never overwrite a newer (e.g. just repaired) session with a stale copy.
-- Every write is announced on the channel (`<version> <key>`) so that caches drop their copy.
-- KEYS: session
-- ARGV: expected version data ttlMs channel
-- Returns 'saved', or 'stale' (another version is stored).
local cur = redis.call('HGET', KEY.session, 'version')
if (cur == false and ARG.expected ~= '0') or (cur ~= false and cur ~= ARG.expected) then return 'stale' end
redis.call('HSET', KEY.session, 'version', ARG.version, 'data', ARG.data)
redis.call('PEXPIRE', KEY.session, ARG.ttlMs)
redis.call('PUBLISH', ARG.channel, ARG.version .. ' ' .. KEY.session)
return 'saved'

-- Releases a lock only for the holder of its token (a lock that expired and was taken by
-- another run is left to that run).
-- KEYS: lock
-- ARGV: token
-- Returns 'released', or 'not_held'.
if redis.call('GET', KEY.lock) ~= ARG.token then return 'not_held' end
redis.call('DEL', KEY.lock)
return 'released'

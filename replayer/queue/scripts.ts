/** Lua scripts of the run queue: each makes a check and its write one atomic round trip. */

// One round trip for every limit, atomic: the queue bound (bull's wait + paused lists and delayed
// set), the workflow's runs per minute (a fixed window counter, when a rate is set) and its slots
// (runs queued or running). Nothing is counted unless all pass. Slots older than ARGV[2] are dropped
// so that a slot lost to a crash (a run deleted before it finished) cannot block a workflow for ever.
// Returns {code, history size}: 1 = taken, 0 = queue full, -1 = no free slot, -2 = rate exceeded.
export const TAKE_SLOT = `
local waiting = redis.call('LLEN', KEYS[2]) + redis.call('LLEN', KEYS[3]) + redis.call('ZCARD', KEYS[4])
if waiting >= tonumber(ARGV[6]) then return {0, 0} end
local rate = tonumber(ARGV[7])
if rate > 0 and tonumber(redis.call('GET', KEYS[6]) or '0') >= rate then return {-2, 0} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return {-1, 0} end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
if rate > 0 then
  redis.call('INCR', KEYS[6])
  redis.call('EXPIRE', KEYS[6], 120)
end
return {1, redis.call('ZCARD', KEYS[5])}`;
export const SLOT_TTL_MS = 6 * 3600_000;

// Compare-and-set of a run record: only the execution that owns the run (same attempt number,
// not finished yet) may write it. Fences a worker that lost its job (lock expired while its event
// loop was blocked, or close() timed out) from overwriting the result of the worker that took over.
// With KEYS[2] (a finished run) it also frees the workflow slot and publishes the finished run.
export const SAVE_IF_CURRENT = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local r = cjson.decode(cur)
if tonumber(r.attempts) ~= tonumber(ARGV[1]) or r.status == 'succeeded' or r.status == 'failed' then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
if KEYS[2] then
  redis.call('ZREM', KEYS[2], ARGV[3])
  -- the finished run itself, so waiters need not read it back
  redis.call('PUBLISH', ARGV[4], ARGV[2])
end
return 1`;

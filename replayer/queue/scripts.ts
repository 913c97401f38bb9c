import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
/** Lua scripts of the run queue: each makes a check and its write one atomic round trip. */

// Enqueue in one atomic round trip. With an Idempotency-Key (KEYS[9]) whose run still exists, that
// run is returned ({2, json}) and nothing else happens; a key whose run is gone is dropped. Then every
// limit: the queue bound (bull's wait + paused lists and delayed set), the workflow's runs per minute
// (a fixed window counter, when a rate is set) and its slots (runs queued or running); nothing is
// counted unless all pass. Slots older than ARGV[2] are dropped so that a slot lost to a crash (a run
// deleted before it finished) cannot block a workflow for ever. Then the Run record, its indexes and
// the Idempotency-Key are written together, so a key never points at a run not stored yet.
// With ARGV[11] (a workflow version: the SHA-1 hex of its stored JSON at ARGV[12]) the run is queued
// only while the workflow is stored as that version, so a caller may check inputs against a cached copy.
// Returns {code, history size before this run}: 1 = queued, 0 = queue full, -1 = no free slot,
// -2 = rate exceeded, -3 = workflow gone, -4 = workflow changed (not that version any more).
export const ENQUEUE = script(`
if ARGV[11] ~= '' then
  local wf = redis.call('GET', ARGV[12])
  if not wf then return {-3, 0} end
  if redis.sha1hex(wf) ~= ARGV[11] then return {-4, 0} end
end
if KEYS[9] then
  local prior = redis.call('GET', KEYS[9])
  if prior then
    local rec = redis.call('GET', ARGV[10] .. prior)
    if rec then return {2, rec} end
    redis.call('DEL', KEYS[9])
  end
end
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
local history = redis.call('ZCARD', KEYS[5])
redis.call('SET', KEYS[7], ARGV[8])
redis.call('ZADD', KEYS[8], ARGV[1], ARGV[4])
redis.call('ZADD', KEYS[5], ARGV[1], ARGV[4])
if KEYS[9] then redis.call('SET', KEYS[9], ARGV[4], 'EX', ARGV[9]) end
return {1, history}`);
export const SLOT_TTL_MS = 6 * 3600_000;

// Compare-and-set of a run record: only the execution that owns the run (same attempt number,
// not finished yet) may write it. Fences a worker that lost its job (lock expired while its event
// loop was blocked, or close() timed out) from overwriting the result of the worker that took over.
// With KEYS[2] (a finished run) it also frees the workflow slot and publishes the finished run.
export const SAVE_IF_CURRENT = script(`
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
return 1`);

// A worker starting a run it was handed in the job data: stores `running` (ARGV[2]) only if the
// record is still the queued one of attempt ARGV[1]. Otherwise returns the record as stored (a retry,
// a recovery from a dead worker, a finished run), or nil when it is gone.
export const START_RUN = script(`
local cur = redis.call('GET', KEYS[1])
if not cur then return false end
local r = cjson.decode(cur)
if r.status == 'queued' and tonumber(r.attempts or 0) == tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return cur`);

export interface LuaScript {
  src: string;
  sha: string;
}

function script(src: string): LuaScript {
  return { src, sha: createHash('sha1').update(src).digest('hex') };
}

/** EVALSHA (the script body is not sent each time), EVAL once when Redis does not know it yet. */
export async function runScript(redis: Redis, s: LuaScript, keys: string[], args: Array<string | number>): Promise<unknown> {
  try {
    return await redis.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!String((err as Error)?.message).startsWith('NOSCRIPT')) throw err;
    return redis.eval(s.src, keys.length, ...keys, ...args);
  }
}

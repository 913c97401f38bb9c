-- Compare-and-set of a run record: only the execution that owns the run (same attempt number,
-- not finished yet) may write it. Fences a worker that lost its job (lock expired while its event
-- loop was blocked, or close() timed out) from overwriting the result of the worker that took over.
-- With the slots key (a finished run) it also frees the workflow slot and publishes the finished
-- run itself on the channel, so waiters need not read it back; with the journal key it deletes the
-- run's step journal too (nothing reads a finished run's journal): one round trip, not two.
-- KEYS: run slots? journal?
-- ARGV: attempt runJson runId channel
-- Returns 'saved', or 'not_current' (gone, finished, or another attempt owns it).
local cur = redis.call('GET', KEY.run)
if not cur then return 'not_current' end
local r = cjson.decode(cur)
if tonumber(r.attempts) ~= tonumber(ARG.attempt) or r.status == 'succeeded' or r.status == 'failed' then return 'not_current' end
redis.call('SET', KEY.run, ARG.runJson)
if KEY.slots then
  redis.call('ZREM', KEY.slots, ARG.runId)
  redis.call('PUBLISH', ARG.channel, ARG.runJson)
end
if KEY.journal then redis.call('DEL', KEY.journal) end
return 'saved'

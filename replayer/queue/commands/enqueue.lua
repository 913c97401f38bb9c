-- Enqueue in one atomic round trip.
-- With a workflow version (the SHA-1 hex of its stored JSON) the run is queued only while the
-- workflow is stored as that version, so a caller may check inputs against a cached copy.
-- With an Idempotency-Key whose run still exists, that run is returned and nothing else happens;
-- a key whose run is gone is dropped. Then every limit: the queue bound (bull's wait + paused
-- lists and delayed set), the workflow's runs per minute (a fixed window counter, when a rate is
-- set) and its slots (runs queued or running); nothing is counted unless all pass. Slots older
-- than slotsBefore are dropped so that a slot lost to a crash (a run deleted before it finished)
-- cannot block a workflow for ever. Then the Run record, its indexes, the Idempotency-Key and the
-- bull job are written together, so a key never points at a run not stored yet, and a run is never
-- stored without its job (nor a reservation left behind by a job that could not be added). The
-- queued run is published on the events channel for those who follow runs live.
-- The job is written as bull 4's addJob-6.lua writes a plain job (no delay, no priority, FIFO):
-- one round trip less per run than a separate queue.add. Last, the workflow's history is trimmed
-- to historyLimit runs (the oldest records and their index entries go), in the same round trip
-- rather than two more per run once a workflow has that many; at most 1000 at a time, so that a
-- lowered limit cannot block Redis for long (the next enqueues trim the rest).
-- KEYS: slots wait paused delayed history rate run runIndex workflow metaPaused jobCounter job idem?
-- ARGV: now slotsBefore maxSlots runId slotTtlMs maxWaiting ratePerMinute runJson idemTtlS runKeyPrefix workflowVersion jobData jobOpts token historyLimit eventsChannel
-- Returns {result, detail}: {'queued', history size before this run}, {'existing', run JSON},
-- {'queue_full'}, {'no_slot'}, {'rate_exceeded'}, {'workflow_gone'}, {'workflow_changed'}.
if ARG.workflowVersion ~= '' then
  local wf = redis.call('GET', KEY.workflow)
  if not wf then return {'workflow_gone'} end
  if redis.sha1hex(wf) ~= ARG.workflowVersion then return {'workflow_changed'} end
end
if KEY.idem then
  local prior = redis.call('GET', KEY.idem)
  if prior then
    local rec = redis.call('GET', ARG.runKeyPrefix .. prior)
    if rec then return {'existing', rec} end
    redis.call('DEL', KEY.idem)
  end
end
local waiting = redis.call('LLEN', KEY.wait) + redis.call('LLEN', KEY.paused) + redis.call('ZCARD', KEY.delayed)
if waiting >= tonumber(ARG.maxWaiting) then return {'queue_full'} end
local rate = tonumber(ARG.ratePerMinute)
if rate > 0 and tonumber(redis.call('GET', KEY.rate) or '0') >= rate then return {'rate_exceeded'} end
redis.call('ZREMRANGEBYSCORE', KEY.slots, '-inf', ARG.slotsBefore)
if redis.call('ZCARD', KEY.slots) >= tonumber(ARG.maxSlots) then return {'no_slot'} end
redis.call('ZADD', KEY.slots, ARG.now, ARG.runId)
redis.call('PEXPIRE', KEY.slots, ARG.slotTtlMs)
if rate > 0 then
  redis.call('INCR', KEY.rate)
  redis.call('EXPIRE', KEY.rate, 120)
end
local history = redis.call('ZCARD', KEY.history)
redis.call('SET', KEY.run, ARG.runJson)
redis.call('ZADD', KEY.runIndex, ARG.now, ARG.runId)
redis.call('ZADD', KEY.history, ARG.now, ARG.runId)
if KEY.idem then redis.call('SET', KEY.idem, ARG.runId, 'EX', ARG.idemTtlS) end
-- the bull job (addJob-6.lua): its counter, its hash, then the wait list (paused when the queue is)
redis.call('INCR', KEY.jobCounter)
redis.call('HMSET', KEY.job, 'name', '__default__', 'data', ARG.jobData, 'opts', ARG.jobOpts, 'timestamp', ARG.now, 'delay', 0, 'priority', 0)
local target = KEY.wait
if redis.call('EXISTS', KEY.metaPaused) == 1 then target = KEY.paused end
redis.call('LPUSH', target, ARG.runId)
redis.call('PUBLISH', KEY.wait .. 'ing@' .. ARG.token, ARG.runId)
-- the queued run, for whoever follows runs live (GET /v1/runs/events)
redis.call('PUBLISH', ARG.eventsChannel, ARG.runJson)
local excess = history + 1 - tonumber(ARG.historyLimit)
if excess > 0 then
  for _, id in ipairs(redis.call('ZRANGE', KEY.history, 0, math.min(excess, 1000) - 1)) do
    redis.call('ZREM', KEY.history, id)
    redis.call('ZREM', KEY.runIndex, id)
    redis.call('DEL', ARG.runKeyPrefix .. id)
  end
end
return {'queued', history}

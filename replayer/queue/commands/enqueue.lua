-- Enqueue in one atomic round trip.
-- With a workflow version (the SHA-1 hex of its stored JSON) the run is queued only while the
-- workflow is stored as that version, so a caller may check inputs against a cached copy.
-- With an Idempotency-Key whose run still exists, that run is returned and nothing else happens;
-- a key whose run is gone is dropped. Then every limit: the queue bound (bull's wait + paused
-- lists and delayed set), the workflow's runs per minute (a fixed window counter, when a rate is
-- set) and its slots (runs queued or running); nothing is counted unless all pass. Slots older
-- than slotsBefore are dropped so that a slot lost to a crash (a run deleted before it finished)
-- cannot block a workflow for ever. Then the Run record, its indexes and the Idempotency-Key are
-- written together, so a key never points at a run not stored yet.
-- KEYS: slots wait paused delayed history rate run runIndex workflow idem?
-- ARGV: now slotsBefore maxSlots runId slotTtlMs maxWaiting ratePerMinute runJson idemTtlS runKeyPrefix workflowVersion
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
return {'queued', history}

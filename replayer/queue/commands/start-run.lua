-- A worker starting a run it was handed in the job data: stores the running record only if the
-- stored one is still the queued record of that attempt, and publishes it on the events channel.
-- KEYS: run
-- ARGV: attempt runningJson eventsChannel
-- Returns {'started'}, {'moved', the record as stored} (a retry, a recovery from a dead worker,
-- a finished run), or {'gone'}.
local cur = redis.call('GET', KEY.run)
if not cur then return {'gone'} end
local r = cjson.decode(cur)
if r.status == 'queued' and tonumber(r.attempts or 0) == tonumber(ARG.attempt) then
  redis.call('SET', KEY.run, ARG.runningJson)
  redis.call('PUBLISH', ARG.eventsChannel, ARG.runningJson)
  return {'started'}
end
return {'moved', cur}

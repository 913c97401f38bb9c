import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { Router } from 'express';
import { AppError, type Config, type Recording, type RedisStore } from '../../core/index.js';
import { parseActions, parseTarget, type IngestPool, type RecordingManager, type TargetSpec } from '../../recorder/index.js';
import { readRawBody } from '../read-body.js';
import { createAjv, schemaProblems } from '../../core/index.js';
import { bodyChecker, idOf, pagination } from '../validate.js';
import { ActionsBody, LearnBody, StartRecordingBody, TargetSchema } from '../schemas/index.js';

const gunzipAsync = promisify(gunzip);

export interface RecordingRouteDeps {
  config: Config;
  store: RedisStore;
  recordings: RecordingManager;
  /** Processes HAR uploads off the event loop (worker threads). Default: the recording manager, on this thread. */
  ingest?: Pick<IngestPool, 'ingest'>;
}

export function recordingRoutes(deps: RecordingRouteDeps): Router {
  const r = Router();
  const recordingId = idOf('recording');
  // Actions are checked by the recorder's parseActions (invalid_action, paths like [0].type), against the same schema.
  const startBody = bodyChecker(StartRecordingBody, { deferred: ['actions'] });
  const learnBody = bodyChecker(LearnBody);
  const actionsBody = bodyChecker(ActionsBody, { code: 'invalid_action', deferred: ['actions'] });

  r.post('/hars', async (req, res) => {
    const name = typeof req.query.name === 'string' ? req.query.name.slice(0, 200) : undefined;
    const target = targetOf(req.query.target, 'query.target');
    const body = await readRawBody(req, deps.config.harLimitBytes);
    if (body.length === 0) throw new AppError('invalid_har', 'The request body is empty: send a HAR file', { details: [{ path: '', message: 'empty body' }] });
    // Only the bytes are read here: decoding, validating and learning happen in deps.ingest's threads.
    const result = await (deps.ingest ?? deps.recordings).ingest(body, { contentEncoding: req.get('content-encoding'), name, target });
    res.status(201).json(result);
  });

  r.get('/recordings', async (req, res) => {
    const { limit, offset } = pagination(req.query as Record<string, unknown>);
    res.json({ recordings: await deps.store.list<Recording>('recording', { limit, offset }), limit, offset });
  });

  r.post('/recordings', async (req, res) => {
    const body = startBody(req.body);
    const actions = body.actions === undefined ? [] : parseActions(body.actions);
    const owner = (res.locals as { keyId?: string }).keyId;
    const recording = await deps.recordings.start({ startUrl: body.startUrl, headed: body.headed ?? undefined, actions, name: body.name ?? undefined, owner });
    res.status(201).json(recording);
  });

  r.get('/recordings/:id', recordingId, async (req, res) => {
    res.json(await deps.recordings.get(req.params.id));
  });

  r.get('/recordings/:id/requests', recordingId, async (req, res) => {
    res.json({ requests: await deps.recordings.requests(req.params.id) });
  });

  r.post('/recordings/:id/learn', recordingId, async (req, res) => {
    const body = learnBody(req.body ?? {});
    const target = targetOf(body.target, 'target');
    if (!target) throw new AppError('invalid_request', 'Name the target: "METHOD /url/pattern/*" or "#entry"', { details: [{ path: 'target', message: 'is required' }] });
    res.status(201).json({ workflow: await deps.recordings.relearn(req.params.id, target, { name: body.name ?? undefined }) });
  });

  r.get('/recordings/:id/har', recordingId, async (req, res) => {
    // Sent as stored (gzip) to a client that takes it, else decompressed off this thread: never parsed here.
    const gz = await deps.recordings.harGzip(req.params.id);
    res.setHeader('Vary', 'Accept-Encoding');
    res.type('application/json');
    if (req.acceptsEncodings('gzip') === 'gzip') {
      res.setHeader('Content-Encoding', 'gzip');
      res.send(gz);
      return;
    }
    res.send(await gunzipAsync(gz));
  });

  r.post('/recordings/:id/actions', recordingId, async (req, res) => {
    const body = actionsBody(req.body);
    res.json(await deps.recordings.act(req.params.id, parseActions(body.actions)));
  });

  r.post('/recordings/:id/stop', recordingId, async (req, res) => {
    res.status(201).json(await deps.recordings.stop(req.params.id));
  });

  return r;
}

let targetCheck: ReturnType<ReturnType<typeof createAjv>['compile']> | undefined;

/** A target as text (`POST /api/items/*`, `#12`) or as {method?, url?, entry?} (TargetSchema); undefined when absent. */
export function targetOf(raw: unknown, path: string): TargetSpec | undefined {
  if (raw === undefined || raw === '') return undefined;
  targetCheck ??= createAjv().compile(TargetSchema);
  const problems = schemaProblems(targetCheck, raw, path).map((d) => ({ ...d, path: d.path === path ? path : `${path}.${d.path}` }));
  if (problems.length) throw new AppError('invalid_request', `Invalid target: ${problems[0]!.path} ${problems[0]!.message}`, { details: problems });
  if (typeof raw === 'string') return parseTarget(raw);
  const o = raw as { method?: string; url?: string; entry?: number };
  return { ...(o.method ? { method: o.method.toUpperCase() } : {}), ...(o.url ? { urlIncludes: o.url } : {}), ...(o.entry !== undefined ? { entry: o.entry } : {}) };
}

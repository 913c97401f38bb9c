import { Router } from 'express';
import { AppError, type Config, type Recording, type RedisStore } from '../../core/index.js';
import { parseActions, parseTarget, type IngestPool, type RecordingManager, type TargetSpec } from '../../recorder/index.js';
import { readRawBody } from '../read-body.js';
import { Checker, idOf, pagination, requireObject } from '../validate.js';

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

  r.post('/hars', async (req, res) => {
    const name = typeof req.query.name === 'string' ? req.query.name.slice(0, 200) : undefined;
    const target = targetOf(req.query.target, 'query.target');
    const body = await readRawBody(req, deps.config.harLimitBytes);
    if (body.length === 0) throw new AppError('invalid_har', 'The request body is empty: send a HAR file', [{ path: '', message: 'empty body' }]);
    // Only the bytes are read here: decoding, validating and learning happen in deps.ingest's threads.
    const result = await (deps.ingest ?? deps.recordings).ingest(body, { contentEncoding: req.get('content-encoding'), name, target });
    res.status(201).json(result);
  });

  r.get('/recordings', async (req, res) => {
    const { limit, offset } = pagination(req.query as Record<string, unknown>);
    res.json({ recordings: await deps.store.list<Recording>('recording', { limit, offset }), limit, offset });
  });

  r.post('/recordings', async (req, res) => {
    const body = requireObject(req.body);
    const c = new Checker(body);
    const startUrl = c.httpUrl('startUrl', { required: true });
    const headed = c.boolean('headed');
    const name = c.string('name', { max: 200 });
    c.done();
    const actions = body.actions === undefined ? [] : parseActions(body.actions);
    const recording = await deps.recordings.start({ startUrl: startUrl!, headed, actions, name });
    res.status(201).json(recording);
  });

  r.get('/recordings/:id', recordingId, async (req, res) => {
    res.json(await deps.recordings.get(req.params.id));
  });

  r.get('/recordings/:id/requests', recordingId, async (req, res) => {
    res.json({ requests: await deps.recordings.requests(req.params.id) });
  });

  r.post('/recordings/:id/learn', recordingId, async (req, res) => {
    const body = requireObject(req.body ?? {});
    const c = new Checker(body);
    const name = c.string('name', { max: 200 });
    c.done();
    const target = targetOf(body.target, 'target');
    if (!target) throw new AppError('invalid_request', 'Name the target: "METHOD /url/pattern/*" or "#entry"', [{ path: 'target', message: 'is required' }]);
    res.status(201).json({ workflow: await deps.recordings.relearn(req.params.id, target, { name }) });
  });

  r.get('/recordings/:id/har', recordingId, async (req, res) => {
    res.json(await deps.recordings.getHar(req.params.id));
  });

  r.post('/recordings/:id/actions', recordingId, async (req, res) => {
    const body = requireObject(req.body);
    if (body.actions === undefined) throw new AppError('invalid_action', 'Send {"actions":[…]}', [{ path: 'actions', message: 'is required' }]);
    res.json(await deps.recordings.act(req.params.id, parseActions(body.actions)));
  });

  r.post('/recordings/:id/stop', recordingId, async (req, res) => {
    res.status(201).json(await deps.recordings.stop(req.params.id));
  });

  return r;
}

/** A target as text (`POST /api/items/*`, `#12`) or as {method?, url?, entry?}; undefined when absent. */
export function targetOf(raw: unknown, path: string): TargetSpec | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw === 'string') {
    if (raw.length > 2000) throw new AppError('invalid_request', 'The target is too long', [{ path, message: 'at most 2000 characters' }]);
    return parseTarget(raw);
  }
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    const o = raw as { method?: unknown; url?: unknown; entry?: unknown };
    const bad = Object.keys(o).filter((k) => !['method', 'url', 'entry'].includes(k));
    if (bad.length) throw new AppError('invalid_request', `Unknown target field ${bad[0]}`, [{ path: `${path}.${bad[0]}`, message: 'is not method, url or entry' }]);
    if (o.method !== undefined && (typeof o.method !== 'string' || !/^[A-Za-z]{3,10}$/.test(o.method))) throw new AppError('invalid_request', 'target.method must be an HTTP method', [{ path: `${path}.method`, message: 'must be an HTTP method' }]);
    if (o.url !== undefined && (typeof o.url !== 'string' || !o.url || o.url.length > 2000)) throw new AppError('invalid_request', 'target.url must be a URL or a piece of one', [{ path: `${path}.url`, message: 'must be a non-empty string' }]);
    if (o.entry !== undefined && (typeof o.entry !== 'number' || !Number.isInteger(o.entry) || o.entry < 0)) throw new AppError('invalid_request', 'target.entry must be a HAR entry index', [{ path: `${path}.entry`, message: 'must be a whole number >= 0' }]);
    const spec: TargetSpec = { ...(o.method ? { method: (o.method as string).toUpperCase() } : {}), ...(o.url ? { urlIncludes: o.url as string } : {}), ...(o.entry !== undefined ? { entry: o.entry as number } : {}) };
    if (!Object.keys(spec).length) throw new AppError('invalid_request', 'An empty target names nothing', [{ path, message: 'give method, url or entry' }]);
    return spec;
  }
  throw new AppError('invalid_request', 'A target is a string like "POST /api/items/*" or an object {method, url, entry}', [{ path, message: 'must be a string or an object' }]);
}

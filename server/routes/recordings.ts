import { Router } from 'express';
import { AppError, type Config, type Recording, type RedisStore } from '../../core/index.js';
import { parseActions, type RecordingManager } from '../../recorder/index.js';
import { readRawBody } from '../read-body.js';
import { Checker, pagination, requireObject } from '../validate.js';

export interface RecordingRouteDeps {
  config: Config;
  store: RedisStore;
  recordings: RecordingManager;
}

export function recordingRoutes(deps: RecordingRouteDeps): Router {
  const r = Router();

  r.post('/hars', async (req, res) => {
    const name = typeof req.query.name === 'string' ? req.query.name.slice(0, 200) : undefined;
    const body = await readRawBody(req, deps.config.harLimitBytes);
    if (body.length === 0) throw new AppError('invalid_har', 'The request body is empty: send a HAR file', [{ path: '', message: 'empty body' }]);
    const result = await deps.recordings.ingest(body, { contentEncoding: req.get('content-encoding'), name });
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

  r.get('/recordings/:id', async (req, res) => {
    res.json(await deps.recordings.get(req.params.id));
  });

  r.get('/recordings/:id/har', async (req, res) => {
    res.json(await deps.recordings.getHar(req.params.id));
  });

  r.post('/recordings/:id/actions', async (req, res) => {
    const body = requireObject(req.body);
    if (body.actions === undefined) throw new AppError('invalid_action', 'Send {"actions":[…]}', [{ path: 'actions', message: 'is required' }]);
    res.json(await deps.recordings.act(req.params.id, parseActions(body.actions)));
  });

  r.post('/recordings/:id/stop', async (req, res) => {
    res.status(201).json(await deps.recordings.stop(req.params.id));
  });

  return r;
}

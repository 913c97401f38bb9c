import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Router } from 'express';
import { expect } from 'chai';
import { AppError, createLogger, createRegistry, loadConfig } from '../../core/index.js';
import { buildApp } from '../../server/app.js';

/**
 * The `route` label of http_request_duration_seconds is the full pattern (`/v1/hars`) whatever the
 * answer: an error leaving the /v1 router used to drop the `/v1` (two series for one route).
 */
describe('metrics: the HTTP route label keeps /v1 on errors', () => {
  let server: Server;
  let base: string;
  const registry = createRegistry({ defaultMetrics: false });

  before(async () => {
    const v1 = Router();
    v1.post('/hars', (req, res) => {
      if (req.query.fail === 'app') throw new AppError('invalid_har', 'not a HAR');
      if (req.query.fail === 'crash') throw new Error('boom');
      res.status(201).json({ ok: true });
    });
    v1.get('/workflows/:id', async (_req, _res) => {
      throw new AppError('not_found', 'no such workflow');
    });
    const app = buildApp({ config: loadConfig({}), logger: createLogger({ silent: true }), registry, open: [], v1: [v1] });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it('labels success, client errors and server errors of one route alike', async () => {
    const post = (q: string) => fetch(`${base}/v1/hars${q}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect((await post('')).status).to.equal(201);
    expect((await post('?fail=app')).status).to.equal(400);
    expect((await post('?fail=crash')).status).to.equal(500);
    expect((await fetch(`${base}/v1/workflows/wf_nothere`)).status).to.equal(404);
    expect((await fetch(`${base}/v1/nothing-here`)).status).to.equal(404);
    const text = await registry.metrics();
    const routes = new Set([...text.matchAll(/http_request_duration_seconds_count\{route="([^"]*)",method="(\w+)",status="(\d+)"\}/g)].map((m) => `${m[1]} ${m[2]} ${m[3]}`));
    expect([...routes].sort()).to.deep.equal(['/v1/hars POST 201', '/v1/hars POST 400', '/v1/hars POST 500', '/v1/workflows/:id GET 404', 'unmatched GET 404'].sort());
  });
});

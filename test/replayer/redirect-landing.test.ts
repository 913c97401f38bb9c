import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Workflow } from '../../core/index.js';
import type { Replayer } from '../../replayer/index.js';
import { openReplayerEnv } from './env.js';

/**
 * Class 2 of issue 13, the other half: an app that shows its login form at its one script's bare
 * path (phpMyAdmin's /index.php) and answers a step that cannot be done with a redirect to its
 * home page, on that same path. The redirect is not followed (none was recorded); judged by the URL
 * alone it looked like the login page, and the run logged in again and again.
 */
describe('replayer: a redirect judged by where it lands', function () {
  this.timeout(60_000);
  let env: Awaited<ReturnType<typeof openReplayerEnv>>;
  let replayer: Replayer;
  let server: Server;
  let url = '';
  const counts = { login: 0, table: 0 };
  let loggedIn = true;
  let wf: Workflow;

  before(async () => {
    env = await openReplayerEnv('landing');
    replayer = env.replayer();
    server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', url);
      if (req.method === 'POST') {
        counts.login++;
        res.writeHead(302, { location: '/index.php?route=/', 'set-cookie': 'pma=1; Path=/' }).end();
        return;
      }
      const home = loggedIn ? '<html><title>Home</title><body>Databases</body></html>' : '<html><title>Login</title><form method="post"><input name="user"><input type="password" name="pass"></form></html>';
      if (u.searchParams.get('route') === '/table') {
        counts.table++;
        // The table is gone: phpMyAdmin sends you home.
        res.writeHead(302, { location: '/index.php?route=/&reload=1' }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html' }).end(home);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    wf = workflow();
  });
  after(async () => {
    await env?.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  function workflow(): Workflow {
    const now = new Date().toISOString();
    return {
      id: `wf_landing_${Math.random().toString(16).slice(2, 10)}`,
      name: 'landing',
      schemaVersion: 1,
      createdAt: now,
      updatedAt: now,
      origins: [url],
      steps: [
        { id: 's1', description: 'GET /index.php', request: { method: 'GET', url: `${url}/index.php`, headers: [] }, redirects: 0, stateChanging: false, bootstrap: true, expect: { status: 200, contentType: 'text/html' } },
        {
          id: 's2',
          description: 'POST /index.php',
          request: { method: 'POST', url: `${url}/index.php`, headers: [], body: { kind: 'form', mimeType: 'application/x-www-form-urlencoded', fields: [{ name: 'user', value: 'u' }, { name: 'pass', value: 'p' }] } },
          redirects: 1,
          stateChanging: true,
          bootstrap: true,
          expect: { status: 200, contentType: 'text/html' },
        },
        { id: 's3', description: 'GET /index.php', request: { method: 'GET', url: `${url}/index.php?route=/table`, headers: [] }, redirects: 0, stateChanging: false, bootstrap: false, expect: { status: 200, contentType: 'text/html' } },
      ],
      variables: [],
      inputs: [],
      session: { bootstrapSteps: ['s1', 's2'], cookies: ['pma'], tokens: [], loginUrl: `${url}/index.php`, brokenStatuses: [401, 403, 419, 440], brokenPatterns: [], jsCookies: [], needsBrowser: false },
      output: { step: 's3' },
      actions: [],
      notes: [],
      stats: { entries: 3, kept: 3, dropped: {} },
    };
  }

  it('a redirect to the app home on the login path is an error of the step, not a broken session: no login again', async () => {
    const run = await replayer.run(wf, { mode: 'http' });
    expect(run.status).to.equal('failed');
    expect(run.error!.code, JSON.stringify(run)).to.equal('target_error');
    expect(run.error!.message).to.include('which is not the login page');
    expect(counts.login, 'one login: the first, no repair').to.equal(1);
    expect(run.mode).to.equal('http');
    expect(run.fallback).to.equal(undefined);
  });

  it('the same redirect when the page there is the login form is a broken session, repaired', async () => {
    loggedIn = false;
    const before = counts.login;
    // The session stored by the first run is reused: s3 is the first step sent.
    const run = await replayer.run(wf, { mode: 'http' });
    expect(run.status).to.equal('failed');
    // Judged broken, so it tried to log in again (and the site, logged out for good, refused).
    expect(counts.login - before, 'it logged in again').to.equal(1);
    expect(run.error!.code, JSON.stringify(run)).to.equal('repair_failed');
    expect(run.steps.find((s) => s.id === 's3')!.reason, JSON.stringify(run.steps)).to.include('redirected to the login page /index.php');
  });
});

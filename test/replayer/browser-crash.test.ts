import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Workflow } from '../../core/index.js';
import { poolProcesses, type BrowserPool, type Lease } from '../../browser-pool/index.js';
import type { Replayer } from '../../replayer/index.js';
import { hits, openReplayerEnv } from './env.js';
import { fixtureWorkflow } from './fixture-workflow.js';

/**
 * A one-page site: search (GET /api/search), then create an item (POST /api/items, the effect).
 * `hold(route)` keeps the next request of a route unanswered and calls back when it arrived, so a
 * test can kill the browser while that request is in flight.
 */
async function startShop() {
  const counts: Record<string, number> = {};
  const items: Array<{ id: string; title: string }> = [];
  const holds = new Map<string, () => void>();
  const held: ServerResponse[] = [];
  const page = `<!doctype html><html><head><title>Shop</title></head><body>
    <input id="q"><button id="search">Search</button><ul id="results"></ul>
    <input id="title"><button id="create">Create</button><div id="created"></div>
    <script>
      document.getElementById('search').onclick = async () => {
        const r = await fetch('/api/search?q=' + encodeURIComponent(document.getElementById('q').value), { headers: { accept: 'application/json' } });
        const j = await r.json();
        document.getElementById('results').innerHTML = j.results.map((x) => '<li>' + x + '</li>').join('');
      };
      document.getElementById('create').onclick = async () => {
        const r = await fetch('/api/items', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ title: document.getElementById('title').value }) });
        const j = await r.json();
        document.getElementById('created').innerHTML = '<span class="id">' + j.id + '</span>';
      };
    </script></body></html>`;
  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const route = `${req.method} ${u.pathname}`;
    counts[route] = (counts[route] ?? 0) + 1;
    if (route === 'POST /api/items') items.push({ id: `i${items.length + 1}`, title: (JSON.parse(body || '{}') as { title?: string }).title ?? '' });
    const hold = holds.get(route);
    if (hold) {
      holds.delete(route);
      held.push(res);
      hold();
      return;
    }
    if (route === 'GET /') {
      res.setHeader('content-type', 'text/html');
      res.end(page);
    } else if (route === 'GET /api/search') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ query: u.searchParams.get('q'), results: ['apple', 'apricot'] }));
    } else if (route === 'POST /api/items') {
      res.statusCode = 201;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(items[items.length - 1]));
    } else {
      res.statusCode = 404;
      res.end();
    }
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    counts,
    items,
    hold(route: string, then: () => void) {
      holds.set(route, then);
    },
    close: () =>
      new Promise<void>((r) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function shopWorkflow(url: string): Workflow {
  const now = new Date().toISOString();
  const json = [{ name: 'accept', value: 'application/json' }];
  return {
    id: `wf_crash_${Math.random().toString(16).slice(2, 10)}`,
    name: 'shop: search, create',
    schemaVersion: 1,
    createdAt: now,
    updatedAt: now,
    origins: [url],
    startUrl: `${url}/`,
    steps: [
      { id: 's1', description: 'GET /', request: { method: 'GET', url: `${url}/`, headers: [] }, redirects: 0, stateChanging: false, bootstrap: false, expect: { status: 200, contentType: 'text/html', htmlTitle: 'Shop' } },
      {
        id: 's2',
        description: 'GET /api/search',
        request: { method: 'GET', url: `${url}/api/search?q={{query}}`, headers: json },
        redirects: 0,
        stateChanging: false,
        bootstrap: false,
        expect: { status: 200, contentType: 'application/json', jsonKeys: ['query', 'results'] },
      },
      {
        id: 's3',
        description: 'POST /api/items',
        request: { method: 'POST', url: `${url}/api/items`, headers: json, body: { kind: 'json', mimeType: 'application/json', template: { title: '{{title}}' } } },
        redirects: 0,
        stateChanging: true,
        bootstrap: false,
        expect: { status: 201, contentType: 'application/json', jsonKeys: ['id', 'title'], shows: [{ input: 'title', where: 'body' }] },
      },
    ],
    variables: [
      { name: 'query', source: { kind: 'input', input: 'query' }, recorded: 'ap', secret: false, description: 'query parameter q ← input query' },
      { name: 'title', source: { kind: 'input', input: 'title' }, recorded: 'Pie', secret: false, description: 'JSON title ← input title' },
    ],
    inputs: [
      { name: 'query', type: 'string', secret: false, required: false, default: 'ap', description: 'typed into #q', origin: 'typed' },
      { name: 'title', type: 'string', secret: false, required: false, default: 'Pie', description: 'typed into #title', origin: 'typed' },
    ],
    session: null,
    output: { step: 's3' },
    actions: [
      { type: 'goto', url: `${url}/` },
      { type: 'fill', selector: '#q', value: 'ap', input: 'query' },
      { type: 'click', selector: '#search' },
      { type: 'waitFor', selector: '#results li' },
      { type: 'fill', selector: '#title', value: 'Pie', input: 'title' },
      { type: 'click', selector: '#create' },
      { type: 'waitFor', selector: '#created .id' },
    ],
    notes: [],
    stats: { entries: 3, kept: 3, dropped: {} },
  };
}

describe('browser runs when the browser crashes', function () {
  this.timeout(120_000);
  let env: Awaited<ReturnType<typeof openReplayerEnv>>;
  let shop: Awaited<ReturnType<typeof startShop>>;
  let replayer: Replayer;

  /** SIGKILLs the pool's browser (its main process); returns its pid. */
  const killBrowser = (): number => {
    const main = poolProcesses(env.pool.marker).filter((p) => p.main);
    expect(main, 'one running browser').to.have.length(1);
    process.kill(main[0]!.pid, 'SIGKILL');
    return main[0]!.pid;
  };

  before(async () => {
    env = await openReplayerEnv('browser-crash');
    shop = await startShop();
    replayer = env.replayer({ stepTimeoutMs: 10_000 });
  });
  after(async () => {
    await env?.close();
    await shop?.close();
  });

  it('retries on a fresh browser when the browser crashed before anything state-changing was sent', async () => {
    let killed: number | undefined;
    shop.hold('GET /api/search', () => (killed = killBrowser()));
    const run = await replayer.run(shopWorkflow(shop.url), { mode: 'browser', inputs: { title: 'Crash pie' } });
    expect(killed, 'the browser was killed mid-run').to.be.a('number');
    expect(run.status, JSON.stringify(run.error)).to.equal('succeeded');
    expect(run.mode).to.equal('browser');
    expect(run.output?.body).to.include({ title: 'Crash pie' });
    expect(shop.counts['GET /api/search']).to.equal(2);
    expect(shop.counts['POST /api/items']).to.equal(1);
    expect(shop.items.filter((i) => i.title === 'Crash pie')).to.have.length(1);
    // The run says so: the action the crash interrupted was done twice, with the reason.
    const noted = run.steps.filter((s) => /browser crashed.*retried once on a fresh browser/.test(s.reason ?? ''));
    expect(noted, JSON.stringify(run.steps)).to.have.length(1);
    expect(noted[0]!.status).to.equal('succeeded');
    expect(noted[0]!.attempts).to.equal(2);
    expect(run.steps.every((s) => s.status === 'succeeded')).to.equal(true);
    // The retry ran on another browser: the killed one was not reused.
    const main = poolProcesses(env.pool.marker).filter((p) => p.main);
    expect(main.map((p) => p.pid)).to.not.include(killed);
  });

  it('does not retry once the state-changing request went out: outcome_unknown, one effect', async () => {
    const before = shop.counts['POST /api/items'] ?? 0;
    const searches = shop.counts['GET /api/search'] ?? 0;
    let killed = false;
    shop.hold('POST /api/items', () => {
      killBrowser();
      killed = true;
    });
    const run = await replayer.run(shopWorkflow(shop.url), { mode: 'browser', inputs: { title: 'Once only' } });
    expect(killed).to.equal(true);
    expect(run.status).to.equal('failed');
    expect(run.error?.code, JSON.stringify(run.error)).to.equal('outcome_unknown');
    expect(run.error?.message).to.match(/crashed.*s3 \(POST \/api\/items.*may have acted/);
    expect(run.error?.details?.[0]).to.include({ path: 's3', state: 'sent' });
    // Nothing ran again: one search, one effect.
    await new Promise((r) => setTimeout(r, 500));
    expect((shop.counts['GET /api/search'] ?? 0) - searches).to.equal(1);
    expect((shop.counts['POST /api/items'] ?? 0) - before).to.equal(1);
    expect(shop.items.filter((i) => i.title === 'Once only')).to.have.length(1);
  });

  it('a session repair whose browser crashes logs in again on a fresh browser (mode auto)', async () => {
    const site = await env.site();
    // The pool, except that the browser of the first lease it hands out is killed at once.
    let killed: number | undefined;
    const pool = new Proxy(env.pool, {
      get(target, key) {
        if (key === 'lease') {
          return async (...args: Parameters<BrowserPool['lease']>): Promise<Lease> => {
            const lease = await target.lease(...args);
            if (killed === undefined) {
              killed = killBrowser();
              await new Promise((r) => lease.signal.addEventListener('abort', r, { once: true }));
            }
            return lease;
          };
        }
        const v = Reflect.get(target, key, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const r = env.replayer({ pool });
    const wf = fixtureWorkflow(site.url, env.secretBox);
    // An HTTP re-login cannot pass the challenge: the session is repaired in a browser.
    site.setLoginChallenge(true);
    const before = site.counters();
    const run = await r.run(wf, { inputs: { title: 'Repaired after a crash' } });
    expect(killed, 'the repair browser was killed').to.be.a('number');
    expect(run.status, JSON.stringify(run.error)).to.equal('succeeded');
    expect(run.mode).to.equal('hybrid');
    expect(run.fallback?.reason).to.match(/browser/);
    expect(hits(site, 'POST /api/items') - (before['POST /api/items'] ?? 0)).to.equal(1);
    expect(site.items().filter((i) => i.title === 'Repaired after a crash')).to.have.length(1);
  });

  it('still runs normally afterwards', async () => {
    const run = await replayer.run(shopWorkflow(shop.url), { mode: 'browser', inputs: { title: 'After crashes' } });
    expect(run.status, JSON.stringify(run.error)).to.equal('succeeded');
    expect(run.steps.every((s) => s.attempts === 1 && s.reason === undefined)).to.equal(true);
  });
});

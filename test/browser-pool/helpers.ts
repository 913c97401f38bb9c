import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { createLogger, createRegistry, type Logger, type Registry } from '../../core/index.js';

export function quiet(): { logger: Logger; registry: Registry } {
  return { logger: createLogger({ silent: true }), registry: createRegistry({ defaultMetrics: false }) };
}

/** Polls `cond` (for things with no event to await, like a process exiting) until it holds or `timeoutMs` passes. */
export async function eventually(cond: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function processArgs(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

export function processEnv(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

export { groupAlive } from '../../browser-pool/processes.js';

export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const data = await m.get();
  return data.values.filter((v) => Object.entries(labels).every(([k, val]) => (v.labels as Record<string, unknown>)[k] === val)).reduce((a, v) => a + v.value, 0);
}

/** A tiny site on 127.0.0.1: `/` sets a cookie when asked, `/form` has inputs for performAction. */
export async function startSite(): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/set') {
      res.setHeader('set-cookie', 'sid=abc123; Path=/');
      res.end('<html><body>set</body></html>');
      return;
    }
    if (u.pathname === '/form') {
      res.setHeader('content-type', 'text/html');
      res.end(`<html><body>
        <form action="/done" method="get">
          <input name="user" id="user">
          <select name="color" id="color"><option value="red">Red</option><option value="blue">Blue</option></select>
          <button type="submit">Log in</button>
        </form>
        <input id="q" onkeydown="if(event.key==='Enter'){document.getElementById('status').textContent='entered'}">
        <p id="status">idle</p></body></html>`);
      return;
    }
    if (u.pathname === '/done') {
      res.setHeader('content-type', 'text/html');
      res.end(`<html><body><h1 id="done">Welcome ${encodeURIComponent(u.searchParams.get('user') ?? '')} ${u.searchParams.get('color')}</h1></body></html>`);
      return;
    }
    res.setHeader('content-type', 'text/html');
    res.end(`<html><body>cookie=${req.headers.cookie ?? ''}</body></html>`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

import { Worker } from 'node:worker_threads';

export interface UploadWhilePolling {
  status: number;
  text: string;
  seconds: number;
  /** /healthz latencies (ms) from `leadMs` before the upload until `trailMs` after it. */
  lat: number[];
}

export interface PollingOptions {
  /** How often /healthz is asked, in ms. */
  everyMs?: number;
  /** Polling before the upload starts, in ms. */
  leadMs?: number;
  /** Polling after the upload has answered, in ms. */
  trailMs?: number;
}

/** POSTs `body` to /v1/hars (see requestWhilePolling). */
export function uploadWhilePolling(base: string, body: Buffer, opts: PollingOptions & { query: string }): Promise<UploadWhilePolling> {
  return requestWhilePolling(base, { method: 'POST', path: `/v1/hars?${opts.query}`, body, contentType: 'application/json' }, opts);
}

export interface PolledRequest {
  method: string;
  /** Path and query, e.g. `/v1/recordings/rec_…/har`. */
  path: string;
  body?: Buffer;
  contentType?: string;
}

/**
 * Sends one request from a worker thread while another loop there polls GET /healthz: the
 * client's own work never runs on the server's event loop, and a blocked server loop shows as slow
 * answers, not as polls that were never sent.
 */
export async function requestWhilePolling(base: string, req: PolledRequest, opts: PollingOptions = {}): Promise<UploadWhilePolling> {
  const { everyMs = 20, leadMs = 200, trailMs = 100 } = opts;
  const code = `
    const { parentPort, workerData: w } = require('node:worker_threads');
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    const lat = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const t0 = performance.now();
        try { await (await fetch(w.base + '/healthz')).arrayBuffer(); lat.push(performance.now() - t0); } catch { lat.push(60000); }
        await sleep(w.everyMs);
      }
    })();
    (async () => {
      await sleep(w.leadMs);
      const t0 = performance.now();
      const res = await fetch(w.base + w.path, { method: w.method, headers: w.contentType ? { 'content-type': w.contentType } : {}, body: w.body });
      const text = await res.text();
      const seconds = (performance.now() - t0) / 1000;
      await sleep(w.trailMs);
      polling = false;
      await poller;
      parentPort.postMessage({ status: res.status, text, seconds, lat });
    })();`;
  const body = req.body;
  const bytes = body ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : undefined;
  const workerData = { base, body: bytes, method: req.method, path: req.path, contentType: req.contentType, everyMs, leadMs, trailMs };
  const w = new Worker(code, { eval: true, execArgv: [], workerData, transferList: bytes ? [bytes.buffer as ArrayBuffer] : [] });
  try {
    return await new Promise<UploadWhilePolling>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
  } finally {
    await w.terminate();
  }
}

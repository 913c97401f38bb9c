/**
 * The floor of the API path: what the two libraries every API run goes through cost with nothing
 * of ours in them, measured in the same process as the run path they are compared with.
 * - an Express POST with express.json() and a handler that answers at once, sent by the same kind
 *   of keep-alive undici Pool the bench's caller uses;
 * - a bull job with a processor that returns at once, from add() to the queue's 'completed' event
 *   (a plain bull queue of its own, on the same Redis, as bull's README makes one).
 * A run through the API cannot cost less than one of each, one after the other, on top of the run.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Pool } from 'undici';
import Bull from 'bull';
import { drive } from './drive.js';
import { quantile } from './stats.js';

export interface FloorLevel {
  bullP50: number;
  bullPerS: number;
  expressP50: number;
  expressPerS: number;
}

export interface Floor {
  measure(n: number, concurrency: number): Promise<FloorLevel>;
  close(): Promise<void>;
}

export async function startFloor(redisUrl: string, warmup: number): Promise<Floor> {
  const prefix = `rf-floor-${randomBytes(4).toString('hex')}`;
  const queue = new Bull('floor', redisUrl, { prefix });
  const done = new Map<string, () => void>();
  queue.on('completed', (job: Bull.Job) => done.get(String(job.id))?.());
  void queue.process(64, async () => ({ ok: true }));
  await queue.isReady();
  const job = async (): Promise<void> => {
    const id = randomBytes(8).toString('hex');
    const finished = new Promise<void>((resolve) => done.set(id, resolve));
    await queue.add({ n: 1 }, { jobId: id, removeOnComplete: true });
    await finished;
    done.delete(id);
  };

  const app = express();
  app.use(express.json());
  app.post('/floor', (req, res) => {
    res.json({ ok: req.body?.n === 1 });
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { connections: 64 });
  const post = async (): Promise<void> => {
    const res = await client.request({ path: '/floor', method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' });
    if (res.statusCode !== 200) throw new Error(`floor POST answered ${res.statusCode}`);
    await res.body.text();
  };

  for (let i = 0; i < warmup; i++) {
    await job();
    await post();
  }
  return {
    async measure(n, concurrency) {
      const b = await drive(n, concurrency, job);
      const e = await drive(n, concurrency, post);
      return {
        bullP50: quantile(b.ms, 0.5),
        bullPerS: (n / b.wallMs) * 1000,
        expressP50: quantile(e.ms, 0.5),
        expressPerS: (n / e.wallMs) * 1000,
      };
    },
    async close() {
      await client.close().catch(() => {});
      server.closeAllConnections();
      server.close();
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close(true);
    },
  };
}

import { redactRedisUrl } from '../core/index.js';
import { Replayfarm } from './replayfarm.js';
import { WorkerHttp } from './worker-http.js';
import { onSignals, progress } from './cli-output.js';

/**
 * `replayfarm serve [--no-worker]` and `replayfarm worker`: long-running. A worker alone serves
 * /healthz, /readyz and /metrics on WORKER_HTTP_PORT (when not 0), so that scaled-out workers can
 * be probed and scraped like the API.
 */
export async function serve(opts: { api: boolean; worker: boolean }): Promise<void> {
  const rf = new Replayfarm({ worker: opts.worker, api: opts.api });
  let http: WorkerHttp | undefined;
  onSignals((signal) => {
    rf.logger.info('shutting down', { signal });
    // the listener closes first: a probe then sees the worker go rather than a half-closed one
    Promise.resolve(http?.close())
      .then(() => rf.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  });
  if (opts.api) {
    const url = await rf.listen();
    progress(`API listening on ${url}${opts.worker ? ' (with a worker)' : ''}`);
    return;
  }
  await rf.start();
  progress(`worker started (concurrency ${rf.config.workerConcurrency}) on ${redactRedisUrl(rf.config.redisUrl)}`);
  if (rf.config.workerHttpPort !== 0) {
    http = new WorkerHttp({
      port: rf.config.workerHttpPort,
      host: rf.config.host,
      registry: rf.registry,
      ping: () => rf.store.ping(),
      checks: { pool: () => rf.pool.check() },
    });
    const url = await http.listen();
    rf.logger.info('worker listening', { url });
    progress(`worker health and metrics on ${url} (/healthz, /readyz, /metrics)`);
  }
}

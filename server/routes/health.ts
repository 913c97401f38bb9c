import { Router } from 'express';
import { AppError, type Registry, type RedisStore } from '../../core/index.js';

export interface HealthDeps {
  store: RedisStore;
  registry: Registry;
  /** Extra readiness checks (the browser pool), each resolving { ok, message }. */
  checks: Record<string, () => Promise<{ ok: boolean; message: string }>>;
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`${what} did not answer within ${ms} ms`)), ms).unref())]);

export function healthRoutes(deps: HealthDeps): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const checks: Record<string, string> = {};
    try {
      await withTimeout(deps.store.ping(), 2000, 'Redis');
      checks.redis = 'ok';
    } catch {
      throw new AppError('redis_unavailable', 'Redis is not reachable', { details: [{ path: 'redis', message: 'ping failed' }], retryAfter: 5 });
    }
    for (const [name, check] of Object.entries(deps.checks)) {
      const result = await withTimeout(check(), 5000, name).catch((err: Error) => ({ ok: false, message: err.message }));
      if (!result.ok) throw new AppError('not_ready', `${name} is not ready: ${result.message}`, { details: [{ path: name, message: result.message }], retryAfter: 5 });
      checks[name] = 'ok';
    }
    res.json({ status: 'ready', checks });
  });
  r.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', deps.registry.contentType);
    res.send(await deps.registry.metrics());
  });
  return r;
}

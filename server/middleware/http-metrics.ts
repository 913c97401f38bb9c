import type { Request, RequestHandler } from 'express';
import { histogram, DURATION_BUCKETS, type Registry } from '../../core/index.js';

const BASE = Symbol('routeBase');
type WithBase = Request & { [BASE]?: string };

/**
 * Remembers the mount path of the router a request entered (`/v1`). Express resets `req.baseUrl`
 * when an error leaves that router, so a label computed at 'finish' lost `/v1` on every error
 * answer, and `/hars` and `/v1/hars` became two series of one route.
 */
export function routeBase(): RequestHandler {
  return (req, _res, next) => {
    (req as WithBase)[BASE] = req.baseUrl;
    next();
  };
}

/** http_request_duration_seconds by route pattern (not the raw path: ids would explode cardinality). */
export function httpMetrics(registry: Registry): RequestHandler {
  const h = histogram(registry, {
    name: 'http_request_duration_seconds',
    help: 'API request duration by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: DURATION_BUCKETS,
  });
  return (req, res, next) => {
    const end = h.startTimer();
    res.on('finish', () => {
      const route = req.route?.path ? `${(req as WithBase)[BASE] ?? req.baseUrl}${req.route.path}` : 'unmatched';
      end({ route, method: req.method, status: String(res.statusCode) });
    });
    next();
  };
}

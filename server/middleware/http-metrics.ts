import type { RequestHandler } from 'express';
import { histogram, DURATION_BUCKETS, type Registry } from '../../core/index.js';

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
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      end({ route, method: req.method, status: String(res.statusCode) });
    });
    next();
  };
}

import express, { type Express, type Router } from 'express';
import type { Config, Logger, Registry } from '../core/index.js';
import { requestContext } from './middleware/request-context.js';
import { apiKeyAuth } from './middleware/auth.js';
import { httpMetrics, routeBase } from './middleware/http-metrics.js';
import { accessLog } from './middleware/access-log.js';
import { errorHandler, notFound } from './middleware/error-handler.js';
import { jsonBody } from './middleware/json-body.js';
import type { ConsoleSessions } from './console-session.js';

export interface AppParts {
  config: Config;
  logger: Logger;
  registry: Registry;
  /** Unauthenticated routes: /healthz, /readyz, /metrics. */
  open: Router[];
  /** Routes under /v1, behind API-key auth when keys are configured. */
  v1: Router[];
  /** The console's sign-ins, which /v1 accepts besides the key. */
  sessions?: ConsoleSessions;
}

/** The Express app: middleware order matters (ids and metrics first, errors last). */
export function buildApp(parts: AppParts): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'extended');
  app.use(requestContext());
  app.use(httpMetrics(parts.registry));
  app.use(accessLog(parts.logger.child({ module: 'http' })));
  for (const r of parts.open) app.use(r);
  const v1 = express.Router();
  v1.use(routeBase());
  v1.use(apiKeyAuth(parts.config.apiKeys, parts.sessions));
  // JSON bodies everywhere (415 otherwise); HAR uploads are read raw by their route (gzip, bigger limit).
  v1.use(jsonBody({ limit: parts.config.bodyLimitBytes, raw: { '/hars': ['application/gzip', 'application/x-gzip'] } }));
  for (const r of parts.v1) v1.use(r);
  app.use('/v1', v1);
  app.use(notFound());
  app.use(errorHandler(parts.logger.child({ module: 'http' })));
  return app;
}

import type { Express } from 'express';
import { sealKeyOf, IngestPool, type RecordingManager } from '../recorder/index.js';
import { RunSubmitter } from '../replayer/index.js';
import type { Config, Logger, RedisStore, Registry } from '../core/index.js';
import { buildApp } from './app.js';
import { healthRoutes } from './routes/health.js';
import { workflowRoutes } from './routes/workflows.js';
import { runRoutes } from './routes/runs.js';
import { workflowVersionRoutes } from './routes/workflow-versions.js';
import { recordingRoutes } from './routes/recordings.js';
import { openapiRoutes } from './routes/openapi.js';
import { consoleRoutes } from './routes/console.js';
import { runEventRoutes } from './routes/run-events.js';
import { sessionRoutes } from './routes/session.js';
import { ConsoleSessions } from './console-session.js';
import { RunEvents } from './run-events.js';
import { LiveSockets } from './live-socket.js';
import { WorkflowSweeper } from './workflow-sweeper.js';
import type { ReplayfarmParts } from './replayfarm-options.js';

/** What the API is built from: the composition root's parts. */
export interface ApiInputs {
  config: Config;
  logger: Logger;
  registry: Registry;
  store: RedisStore;
  clock: () => number;
  parts: Partial<ReplayfarmParts> & Pick<ReplayfarmParts, 'secretBox' | 'replayer' | 'queue' | 'workflows'> & { recordings: RecordingManager };
  /** A replacement for the HAR ingest threads (ReplayfarmOptions.ingest). */
  ingest?: IngestPool;
  poolCheck: () => Promise<{ ok: boolean; message: string }>;
}

/**
 * The HTTP API (Express, routes, HAR ingest threads), in a module of its own that the composition
 * root imports only when it serves: a one-shot CLI run never loads Express or the routes.
 */
export async function buildApi(i: ApiInputs): Promise<{ app: Express; ingest: IngestPool; sweeper: WorkflowSweeper; events: RunEvents; live: LiveSockets }> {
  const { config: c, store, registry, parts } = i;
  const { recordings, queue } = parts;
  const ingest =
    i.ingest ??
    new IngestPool({
      store,
      logger: i.logger,
      registry,
      secretBox: parts.secretBox,
      sealKey: await sealKeyOf(store, c.secretKey, parts.secretBox),
      harLimitBytes: c.harLimitBytes,
      threads: c.harIngestThreads,
    });
  // learning a recording again and listing its requests parse it on the same threads as uploads
  recordings.useThreads(ingest);
  const sweeper = new WorkflowSweeper({ store, queue, logger: i.logger, sweepForMs: c.runDeadlineMs + 60_000 });
  const sessions = new ConsoleSessions(c.apiKeys, i.clock);
  const events = new RunEvents({ store, queue, logger: i.logger });
  const app = buildApp({
    config: c,
    logger: i.logger,
    registry,
    sessions,
    open: [healthRoutes({ store, registry, checks: { pool: i.poolCheck } }), consoleRoutes()],
    v1: [
      sessionRoutes(sessions),
      // before runRoutes: /runs/events is not a run id
      runEventRoutes({ events }),
      recordingRoutes({ config: c, store, recordings, ingest }),
      workflowRoutes({ store, clock: i.clock, recordings, onDelete: (id, wf) => sweeper.deleted(id, wf.recordingId) }),
      workflowVersionRoutes({ store, clock: i.clock }),
      runRoutes({ store, queue, runs: new RunSubmitter({ queue, workflows: parts.workflows }) }),
      openapiRoutes({ store }),
    ],
  });
  const live = new LiveSockets({ recordings, sessions, apiKeys: c.apiKeys, logger: i.logger });
  return { app, ingest, sweeper, events, live };
}

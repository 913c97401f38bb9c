import type { BrowserPool } from '../browser-pool/index.js';
import type { Config, Logger, Redis, RedisStore, Registry, SecretBox } from '../core/index.js';
import type { IngestPool, RecordingManager } from '../recorder/index.js';
import type { Replayer, RunQueue, RunWorker, WorkflowCache } from '../replayer/index.js';

/** The parts built in start() (they need Redis: the SecretBox key may live there). Each may be given instead. */
export interface ReplayfarmParts {
  secretBox: SecretBox;
  recordings: RecordingManager;
  replayer: Replayer;
  queue: RunQueue;
  /** Parsed workflows shared by the run route and the worker. */
  workflows: WorkflowCache;
  /** HAR uploads are decoded, validated and learned in these worker threads, off the event loop. */
  ingest: IngestPool;
  worker: RunWorker;
}

export interface ReplayfarmOptions extends Omit<Partial<ReplayfarmParts>, 'worker'> {
  /** Environment to read the configuration from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Values that win over the environment (tests pass their own key prefix, port 0, …). */
  config?: Partial<Config>;
  /** Run a worker in this process (default true; `serve --no-worker` and the API-only tests say false), or this one. */
  worker?: RunWorker | boolean;
  /**
   * Connect the run queue (default true). False: run records are still read and written through
   * the store, but no bull queue nor subscriber is opened, and bull is never loaded (the CLI's
   * local commands, which run in their own process). Needs `worker: false` and no API.
   */
  startQueue?: boolean;
  /** Serve the HTTP API (default true; `replayfarm worker` says false). */
  api?: boolean;
  /**
   * Build the recorder (`recordings`) even without the API (default true: `record` and `learn`
   * need it). `run`, `workflows` and `runs` say false, and never load it; with the API it is always built.
   */
  recorder?: boolean;
  /**
   * Replacements; anything not given is built from the configuration. A part given is started
   * with the rest but not closed: it is the giver's. A given `redis` should be connected (or
   * connecting); the one built here connects in start().
   */
  redis?: Redis;
  /** A store over the given `redis` (required with it). */
  store?: RedisStore;
  logger?: Logger;
  registry?: Registry;
  pool?: BrowserPool;
  clock?: () => number;
}

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis, type RedisOptions } from 'ioredis';
import { createCluster } from './redis-cluster.js';
import { isClusterUrl } from './redis-url.js';

export type { Redis };
export { hasHashTag, isClusterUrl, redactRedisUrl } from './redis-url.js';

/**
 * An ioredis client that fails fast while Redis is away (no offline queue, one retry per
 * command) and keeps reconnecting in the background, so /readyz answers 503 at once and
 * recovers by itself when Redis is back. `lazyConnect: true` leaves the connecting to the
 * first command (or connect()): a composition root builds it without I/O.
 */
export function createRedis(url: string, opts: RedisOptions = {}): Redis {
  return connectRedis(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(200 * times, 2000),
    ...opts,
  });
}

/**
 * A client for REDIS_URL with exactly `opts` (no defaults of ours): a plain ioredis client, or for
 * a `redis+cluster://` URL an ioredis Cluster. A Cluster answers the same commands (it is typed
 * as Redis so that callers stay one code path); what differs (SCAN, duplicate) RedisStore handles.
 */
export function connectRedis(url: string, opts: RedisOptions = {}): Redis {
  if (isClusterUrl(url)) return createCluster(url, opts) as unknown as Redis;
  return new Redis(url, opts);
}


/**
 * A Lua script kept in a `.lua` file of its own (bullmq's src/commands), with named keys and
 * arguments. The file declares them in its first lines:
 *
 *   -- KEYS: run slots?
 *   -- ARGV: attempt json
 *
 * (`?` marks a key that may be left out; only trailing keys may). The script is given `KEY.run`,
 * `ARG.attempt`, … (a prelude built here), never positions, and answers with named results
 * (strings), never magic numbers.
 */
export interface LuaCommand {
  readonly name: string;
  readonly keys: readonly string[];
  /** Keys that may be left out (at the end of the list). */
  readonly optional: ReadonlySet<string>;
  readonly args: readonly string[];
  /** The script as sent (prelude + file). */
  readonly src: string;
  readonly sha: string;
}

/**
 * Loads `<name>.lua` from the folder `dir` (a path relative to the calling module, given as its
 * import.meta.url). Run from sources the file is beside the module. Run from the build (`tsc`
 * copies no .lua files) it is looked for beside the compiled module first (a build step may copy
 * it there), then at the same place in the sources (`<root>/dist/x/` → `<root>/x/`).
 */
export function luaCommand(moduleUrl: string, dir: string, name: string): LuaCommand {
  const file = findLua(dirname(fileURLToPath(moduleUrl)), dir, `${name}.lua`);
  const body = readFileSync(file, 'utf8');
  const declared = (label: string): string[] => body.match(new RegExp(`^--\\s*${label}:(.*)$`, 'm'))?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
  const rawKeys = declared('KEYS');
  const keys = rawKeys.map((k) => k.replace(/\?$/, ''));
  const optional = new Set(rawKeys.filter((k) => k.endsWith('?')).map((k) => k.slice(0, -1)));
  const args = declared('ARGV');
  const table = (names: string[], arr: string) => `{${names.map((n, i) => `${luaName(n)}=${arr}[${i + 1}]`).join(', ')}}`;
  // One line, so that Redis' error line numbers are those of the file plus one.
  const src = `local KEY, ARG = ${table(keys, 'KEYS')}, ${table(args, 'ARGV')}\n${body}`;
  return { name, keys, optional, args, src, sha: createHash('sha1').update(src).digest('hex') };
}

/** The KEYS and ARGV arrays of a call, in the order the script declares; a name it does not declare is refused. */
export function commandArgs(cmd: LuaCommand, keys: Record<string, string | undefined>, args: Record<string, string | number>): { keys: string[]; args: Array<string | number> } {
  const k: string[] = [];
  for (const name of cmd.keys) {
    const v = keys[name];
    if (v === undefined) {
      if (!cmd.optional.has(name)) throw new TypeError(`Lua ${cmd.name}: key ${name} is required`);
      break;
    }
    k.push(v);
  }
  const a = cmd.args.map((name) => {
    const v = args[name];
    if (v === undefined) throw new TypeError(`Lua ${cmd.name}: argument ${name} is required`);
    return v;
  });
  for (const name in keys) if (!cmd.keys.includes(name)) throw new TypeError(`Lua ${cmd.name}: no key named ${name}`);
  for (const name in args) if (!cmd.args.includes(name)) throw new TypeError(`Lua ${cmd.name}: no argument named ${name}`);
  return { keys: k, args: a };
}

function findLua(moduleDir: string, dir: string, file: string): string {
  const beside = join(moduleDir, dir, file);
  if (existsSync(beside)) return beside;
  const marker = `${sep}dist${sep}`;
  const at = moduleDir.lastIndexOf(marker);
  const inSources = at === -1 ? undefined : join(moduleDir.slice(0, at) + sep + moduleDir.slice(at + marker.length), dir, file);
  if (inSources && existsSync(inSources)) return inSources;
  throw new Error(`Lua command ${file} not found (looked in ${beside}${inSources ? ` and ${inSources}` : ''}): copy the .lua files next to the compiled modules`);
}

function luaName(n: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) throw new TypeError(`Lua command: ${n} is not a usable name`);
  return n;
}

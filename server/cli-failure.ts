import { CONFIG_VARS, ConfigError } from '../core/config.js';
import { redactRedisUrl } from '../core/redis-url.js';
import { isAppError } from '../core/errors.js';
import { UsageError } from './cli-spec.js';

/** What the CLI prints for a failure (one sentence, never a stack trace) and the exit code. */
export interface CliFailure {
  message: string;
  exitCode: number;
}

/**
 * The CLI's words for any error: usage and configuration mistakes exit 2, everything else 1.
 * Kept apart from cli.ts so that the bundled quick commands (cli-quick.ts), whose error classes
 * are their own copies, describe their errors with the same rules.
 */
export function cliFailure(err: unknown): CliFailure {
  if (err instanceof UsageError) return { message: err.message, exitCode: 2 };
  if (err instanceof ConfigError) return { message: `configuration: ${err.message}`, exitCode: 2 };
  if (isAppError(err) && err.code === 'redis_unavailable') return { message: redisUnavailable(err), exitCode: 1 };
  if (isAppError(err)) {
    const detail = err.details?.slice(0, 5).map((d) => `\n  ${d.path ?? ''} ${d.message}`).join('') ?? '';
    return { message: `${err.code}: ${err.message}${detail}`, exitCode: 1 };
  }
  const code = String((err as { code?: unknown })?.code ?? '');
  if (code === 'EADDRINUSE') return { message: `the port is already in use: ${(err as Error).message}`, exitCode: 1 };
  return { message: (err as Error)?.message ?? String(err), exitCode: 1 };
}

/** Which Redis could not be reached, why, and what to do (the password shown as ***). */
function redisUnavailable(err: Error): string {
  const url = redactRedisUrl(process.env.REDIS_URL || CONFIG_VARS.find((v) => v.env === 'REDIS_URL')!.default);
  const cause = (err.cause as Error | undefined)?.message;
  return `redis_unavailable: Redis at ${url} is not reachable${cause ? ` (${cause})` : ''}: start Redis there, or set REDIS_URL to a running one`;
}

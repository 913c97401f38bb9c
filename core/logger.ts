import winston from 'winston';
import type { Config } from './config.js';
import { currentContext } from './context.js';
import { redactObject } from './redact.js';

export type Logger = winston.Logger;

/** Adds the request/run id of the current async context and redacts secret-named fields. */
const contextAndRedact = winston.format((info) => {
  const ctx = currentContext();
  if (ctx?.requestId && info.requestId === undefined) info.requestId = ctx.requestId;
  if (ctx?.runId && info.runId === undefined) info.runId = ctx.runId;
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'message') continue;
    const redacted = redactObject({ [key]: info[key] });
    info[key] = redacted[key];
  }
  return info;
});

export interface LoggerOptions {
  /** Minimum level; default 'info'. */
  level?: Config['logLevel'];
  /** 'json' = one JSON object a line; 'pretty' = readable; 'auto' (default) = pretty on a TTY. */
  format?: Config['logFormat'];
  /** Where lines go; default process.stdout (tests pass a stream to read them back). */
  stream?: NodeJS.WritableStream;
  /** No output at all (default false). */
  silent?: boolean;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const stream = opts.stream ?? process.stdout;
  const mode = opts.format ?? 'auto';
  const pretty = mode === 'pretty' || (mode === 'auto' && (stream as NodeJS.WriteStream).isTTY === true);
  const format = pretty
    ? winston.format.combine(
        contextAndRedact(),
        winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
        winston.format.colorize(),
        winston.format.printf(({ level, message, timestamp, module, requestId, ...rest }) => {
          const tag = [module, requestId].filter(Boolean).join(' ');
          const extra = Object.keys(rest).length ? ' ' + JSON.stringify(rest) : '';
          return `${timestamp} ${level} ${tag ? `[${tag}] ` : ''}${message}${extra}`;
        }),
      )
    : winston.format.combine(contextAndRedact(), winston.format.timestamp(), winston.format.json());
  const logger = winston.createLogger({
    level: opts.level ?? 'info',
    silent: opts.silent ?? false,
    format,
    transports: [new winston.transports.Stream({ stream })],
  });
  skipDisabledLevels(logger);
  return logger;
}

/**
 * winston formats every line (context, redaction, timestamp, JSON) before its transports drop the
 * ones below their level: a disabled `debug` or `http` line cost as much as a written one. The
 * level methods now return at once when nothing would write the line (child loggers inherit this).
 */
function skipDisabledLevels(logger: Logger): void {
  const methods = logger as unknown as Record<string, (...args: unknown[]) => Logger>;
  for (const level of Object.keys(logger.levels)) {
    const write = methods[level];
    if (typeof write !== 'function') continue;
    methods[level] = function (this: Logger, ...args: unknown[]): Logger {
      const self = this ?? logger;
      if (self.silent || !self.isLevelEnabled(level)) return self;
      return write.apply(self, args);
    };
  }
}

import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import harValidator, { type HARError, type HarAjvError } from 'har-validator';
import { AppError, type ErrorDetail, type HARFile } from '../core/index.js';
import { normaliseHar } from './har-normalise.js';

export interface IngestHarOptions {
  /** The upload's Content-Encoding: gzip, deflate, br or identity (gzip is also detected by its magic bytes). */
  contentEncoding?: string;
  /** Largest HAR accepted, counted after decompression. */
  limitBytes: number;
}

export interface IngestedHar {
  har: HARFile;
  /** The exporter quirks that were normalised, in plain words with a JSON path. */
  warnings: string[];
}

const MAX_DETAILS = 20;

/**
 * Turns uploaded bytes into a valid HAR: decompresses within the size limit (a zip bomb stops at
 * `limitBytes`), parses, normalises exporter quirks, validates with har-validator. Every failure
 * is an AppError (payload_too_large, unsupported_media_type or invalid_har with JSON paths),
 * whatever the bytes.
 */
export async function ingestHar(body: Buffer, opts: IngestHarOptions): Promise<IngestedHar> {
  const text = decode(body, opts);
  const data = parse(text);
  const warnings = normaliseHar(data as Record<string, unknown>);
  await validate(data);
  return { har: data as unknown as HARFile, warnings };
}

function decode(body: Buffer, opts: IngestHarOptions): string {
  const limit = opts.limitBytes;
  const enc = (opts.contentEncoding ?? '').trim().toLowerCase();
  const gzipMagic = body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
  let raw: Buffer;
  if (enc === 'gzip' || enc === 'x-gzip' || ((enc === '' || enc === 'identity') && gzipMagic)) raw = inflate(() => gunzipSync(body, { maxOutputLength: limit + 1 }), limit, 'gzip');
  else if (enc === 'deflate') raw = inflate(() => inflateSync(body, { maxOutputLength: limit + 1 }), limit, 'deflate');
  else if (enc === 'br') raw = inflate(() => brotliDecompressSync(body, { maxOutputLength: limit + 1 }), limit, 'brotli');
  else if (enc === '' || enc === 'identity') raw = body;
  else throw new AppError('unsupported_media_type', `Content-Encoding "${enc}" is not supported (use gzip, deflate, br or none)`);
  if (raw.length > limit) throw tooLarge(limit);
  // A UTF-8 BOM (some Chrome exports) makes JSON.parse fail on the first character.
  const start = raw.length >= 3 && raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf ? 3 : 0;
  return raw.toString('utf8', start);
}

function inflate(fn: () => Buffer, limit: number, what: string): Buffer {
  try {
    return fn();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) throw tooLarge(limit);
    throw new AppError('invalid_har', `HAR is invalid: the ${what} body cannot be decompressed (${e.message})`, { details: [{ path: '', message: `${what}: ${e.message}` }] });
  }
}

function tooLarge(limit: number): AppError {
  return new AppError('payload_too_large', `HAR is larger than the limit of ${limit} bytes (after decompression)`, { details: [{ path: '', message: `limit ${limit} bytes` }] });
}

function parse(text: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    const message = err instanceof RangeError ? 'JSON nested too deeply' : (err as Error).message;
    const detail: ErrorDetail = { path: '', message };
    const pos = /position (\d+)/.exec(message);
    if (pos) {
      const offset = Number(pos[1]);
      const before = text.slice(0, offset).split('\n');
      Object.assign(detail, { position: offset, line: before.length, column: before[before.length - 1]!.length + 1 });
    }
    throw new AppError('invalid_har', `HAR is invalid: not JSON (${message})`, { details: [detail] });
  }
  const shape = (path: string, message: string) => new AppError('invalid_har', `HAR is invalid: ${path} ${message}`, { details: [{ path, message }] });
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(data)) throw shape('', `should be an object with a "log" property, got ${kind(data)}`);
  if (!isObj(data.log)) throw shape('log', `should be an object, got ${kind(data.log)}`);
  if (!Array.isArray(data.log.entries)) throw shape('log.entries', `should be an array, got ${kind(data.log.entries)}`);
  const bad = data.log.entries.findIndex((e) => !isObj(e) || !isObj(e.request) || !isObj(e.response));
  if (bad >= 0) {
    const e = data.log.entries[bad];
    const path = `log.entries[${bad}]`;
    if (!isObj(e)) throw shape(path, `should be an object, got ${kind(e)}`);
    throw shape(`${path}.${isObj(e.request) ? 'response' : 'request'}`, 'should be an object');
  }
  return data;
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'undefined' ? 'nothing' : `a ${typeof v}`;
}

async function validate(data: unknown): Promise<void> {
  try {
    await harValidator.har(data);
  } catch (err) {
    const errors = (err as HARError).errors;
    if (!Array.isArray(errors)) throw new AppError('invalid_har', `HAR is invalid: ${(err as Error).message}`, { details: [{ path: '', message: (err as Error).message }] });
    const details = toDetails(errors);
    throw new AppError('invalid_har', `HAR is invalid: ${details[0]?.path} ${details[0]?.message}`, { details: details });
  }
}

/** ajv errors → `{path, message}` (paths as the rest of the API writes them); the oneOf summaries that only repeat their branches are left out. */
export function toDetails(errors: HarAjvError[]): ErrorDetail[] {
  const specific = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf');
  const seen = new Set<string>();
  const out: ErrorDetail[] = [];
  for (const e of specific.length ? specific : errors) {
    // ajv 6 paths start with a dot (`.log.entries[3]`); the API's read `log.entries[3]`
    const path = (e.dataPath || '').replace(/^\./, '');
    const message = e.message ?? e.keyword;
    const key = `${path} ${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, message });
    if (out.length >= MAX_DETAILS) break;
  }
  return out;
}

import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import type { ErrorDetail } from './errors.js';

/**
 * JSON Schema checks shared by every layer: one ajv set-up, schema helpers that stay inside the
 * subset OpenAPI 3.0 accepts (no `const`, no type lists, no patternProperties), and one mapping
 * from ajv's errors to the API's `details: [{path, message}]` with paths like `steps.s1.idempotent`
 * or `[2].selector`.
 */

export type JsonSchema = Record<string, unknown>;

/** ajv, loaded on the first createAjv(): a one-shot CLI run compiles no schema and need not pay for it. */
let AjvClass: typeof Ajv | undefined;

/**
 * An ajv for our schemas: all errors at once; OpenAPI's `nullable` and `discriminator`; `x-error`,
 * a schema's own message for what it refuses; `x-kind`, a value JSON cannot describe (a logger, a
 * callback: see core/options.ts).
 */
export function createAjv(): Ajv {
  AjvClass ??= (createRequire(import.meta.url)('ajv') as { Ajv: typeof Ajv }).Ajv;
  const ajv = new AjvClass({ allErrors: true, discriminator: true, strictTypes: false, verbose: true });
  ajv.addKeyword({ keyword: 'x-error', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'x-kind', schemaType: 'string', errors: false, validate: (kind: string, data: unknown) => isKind(kind, data) });
  ajv.addKeyword('example'); // OpenAPI 3.0's annotation

  // Formats the documents use; `uri` is what `new URL` takes (the `pattern` next to it narrows the scheme).
  ajv.addFormat('uri', { type: 'string', validate: (s: string) => URL.canParse(s) });
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => /^\d{4}-\d\d-\d\dT/.test(s) && !Number.isNaN(Date.parse(s)) });
  ajv.addFormat('password', true);
  ajv.addFormat('binary', true);
  return ajv;
}

function isKind(kind: string, data: unknown): boolean {
  if (kind === 'function') return typeof data === 'function';
  return (typeof data === 'object' && data !== null) || typeof data === 'function';
}

/** A string that is one of `values` (an `enum`, where TypeBox's literals would write `const`, which OpenAPI 3.0 refuses). */
export function stringEnum<const T extends readonly string[]>(values: T, opts: JsonSchema = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...opts });
}

/** OpenAPI 3.0's way to accept null (read as "not given"). */
export function nullable<T extends TSchema>(schema: T): TUnsafe<Static<T> | null | undefined> {
  // An enum must list null too, or it refuses what `nullable` lets through (OpenAPI 3.0.3 says so).
  const listed = Array.isArray(schema.enum) ? { enum: [...(schema.enum as unknown[]), null] } : {};
  return Type.Unsafe<Static<T> | null | undefined>({ ...schema, ...listed, nullable: true });
}

/** An absolute http(s) URL, at most `maxLength` characters. */
export function httpUrl(maxLength: number, opts: JsonSchema = {}): TUnsafe<string> {
  return Type.Unsafe<string>({ type: 'string', format: 'uri', pattern: '^[Hh][Tt][Tt][Pp][Ss]?:', maxLength, 'x-error': 'must be an absolute http(s) URL', ...opts });
}

/** Checks `value` against a compiled schema; [] when it holds, else one detail per distinct path. */
export function schemaProblems(validate: ValidateFunction, value: unknown, root = ''): ErrorDetail[] {
  if (validate(value)) return [];
  return toDetails(validate.errors ?? [], root);
}

/** ajv errors → `{path, message}`, first problem per path, branches of anyOf/oneOf folded (see `keepError`). */
export function toDetails(errors: readonly ErrorObject[], root = ''): ErrorDetail[] {
  const seen = new Set<string>();
  const out: ErrorDetail[] = [];
  for (const e of errors) {
    if (!keepError(e, errors)) continue;
    const path = pathOf(e, root);
    if (seen.has(path)) continue;
    seen.add(path);
    out.push({ path, message: messageOf(e) });
  }
  return out.slice(0, 50);
}

const COMPOSITE = new Set(['anyOf', 'oneOf']);

/**
 * The branch of a failed anyOf/oneOf the value was meant for: the only one whose `type` it has
 * (an object given where "string or object" is allowed is judged as the object). Undefined when
 * zero or several fit: then the composite error alone speaks.
 */
function fittingBranch(c: ErrorObject, errors: readonly ErrorObject[]): string | undefined {
  const branches = new Map<string, boolean>();
  for (const e of errors) {
    if (!e.schemaPath.startsWith(`${c.schemaPath}/`)) continue;
    const n = e.schemaPath.slice(c.schemaPath.length + 1).split('/')[0]!;
    const typeFails = e.keyword === 'type' && e.schemaPath === `${c.schemaPath}/${n}/type` && e.instancePath === c.instancePath;
    branches.set(n, (branches.get(n) ?? false) || typeFails);
  }
  const fits = [...branches].filter(([, typeFails]) => !typeFails).map(([n]) => n);
  return fits.length === 1 ? fits[0] : undefined;
}

function keepError(e: ErrorObject, errors: readonly ErrorObject[]): boolean {
  if (COMPOSITE.has(e.keyword) && fittingBranch(e, errors) !== undefined) return false;
  for (const c of errors) {
    if (c === e || !COMPOSITE.has(c.keyword) || !e.schemaPath.startsWith(`${c.schemaPath}/`)) continue;
    const branch = e.schemaPath.slice(c.schemaPath.length + 1).split('/')[0];
    if (fittingBranch(c, errors) !== branch) return false;
  }
  return true;
}

function pathOf(e: ErrorObject, root: string): string {
  const segs = e.instancePath ? e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')) : [];
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'required') segs.push(String(p.missingProperty));
  if (e.keyword === 'additionalProperties') segs.push(String(p.additionalProperty));
  if (e.keyword === 'discriminator') segs.push(String(p.tag));
  let out = '';
  for (const s of segs) out += /^\d+$/.test(s) ? `[${s}]` : out ? `.${s}` : s;
  return out || root;
}

/** Keywords whose ajv message says little ("must match pattern …"): a schema's `x-error` speaks for them. */
const X_ERROR_KEYWORDS = new Set(['format', 'pattern', 'anyOf', 'oneOf', 'not']);

const A_TYPE: Record<string, string> = { object: 'an object', array: 'an array', string: 'a string', number: 'a number', integer: 'a whole number', boolean: 'true or false' };

function messageOf(e: ErrorObject): string {
  const parent = (e.parentSchema ?? {}) as JsonSchema;
  if (typeof parent['x-error'] === 'string' && X_ERROR_KEYWORDS.has(e.keyword)) return parent['x-error'];
  const p = e.params as Record<string, any>;
  switch (e.keyword) {
    case 'required':
      return 'is required';
    case 'type':
      return `must be ${String(p.type).split(',').map((t) => A_TYPE[t] ?? t).join(' or ')}`;
    case 'maxLength':
      return `must be at most ${p.limit} characters`;
    case 'minLength':
      return p.limit === 1 ? 'must not be empty' : `must be at least ${p.limit} characters`;
    case 'maxItems':
      return `must have at most ${p.limit} items`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).filter((v) => v !== null).join(', ')}`;
    case 'additionalProperties':
      return `is not one of ${Object.keys((parent.properties as JsonSchema) ?? {}).join(', ') || 'the known fields'}`;
    case 'minProperties':
      return `must give at least ${p.limit} of ${Object.keys((parent.properties as JsonSchema) ?? {}).join(', ')}`;
    case 'minimum':
    case 'maximum':
      return `must be ${p.comparison} ${p.limit}`;
    case 'x-kind':
      return parent['x-kind'] === 'function' ? 'must be a function' : 'must be an object';
    case 'discriminator':
      return `must be one of ${((parent.oneOf as JsonSchema[]) ?? []).flatMap((b) => ((b.properties as Record<string, JsonSchema>)?.[p.tag]?.enum as string[]) ?? []).join(', ')}`;
    default:
      return e.message ?? 'is invalid';
  }
}

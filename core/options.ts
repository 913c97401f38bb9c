import { Type, type TObject, type TUnsafe } from '@sinclair/typebox';
import type { JsonSchema } from './schema-check.js';

/**
 * One way for every component to take its options (crawlee's session options are the model): a
 * TypeBox schema declares each field's kind, bounds and `default`; readOptions() applies the
 * defaults, checks, and refuses with a TypeError naming the component and the field, once, at
 * construction. The component then reads a plain object, so hot paths pay nothing.
 */

/** A value JSON cannot describe (a logger, a store, a pool): required unless wrapped in Type.Optional. */
export function objectOption<T>(description?: string): TUnsafe<T> {
  return Type.Unsafe<T>({ 'x-kind': 'object', ...(description ? { description } : {}) });
}

/** A callback. */
export function functionOption<T>(description?: string): TUnsafe<T> {
  return Type.Unsafe<T>({ 'x-kind': 'function', ...(description ? { description } : {}) });
}

/** A whole number >= `minimum`, with its default when one is given (without one: required, or wrap it in Type.Optional). */
export function intOption(minimum: number, dflt?: number, description?: string) {
  return Type.Integer({ minimum, ...(dflt === undefined ? {} : { default: dflt }), ...(description ? { description } : {}) });
}

/** A finite number >= `minimum`, with its default when one is given. */
export function numberOption(minimum: number, dflt?: number, description?: string) {
  return Type.Number({ minimum, ...(dflt === undefined ? {} : { default: dflt }), ...(description ? { description } : {}) });
}

/** true or false, with its default. */
export function boolOption(dflt: boolean, description?: string) {
  return Type.Boolean({ default: dflt, ...(description ? { description } : {}) });
}

/** The TypeError every component throws for a bad option: `BrowserPool: options.max must be >= 1, got 0`. */
export function optionError(component: string, field: string, message: string, got?: unknown): TypeError {
  // Numbers and flags only: a string given may be a secret (a webhook secret, a Redis URL with its password).
  const shown = typeof got === 'number' || typeof got === 'boolean' ? `, got ${String(got)}` : '';
  return new TypeError(`${component}: options.${field} ${message}${shown}`);
}

/**
 * `given` checked against `schema`, defaults filled in; a new object (the caller's is left alone).
 * A field given as undefined counts as not given. `T` is the resolved shape (defaults present).
 */
export function readOptions<T>(schema: TObject, given: unknown, component: string): T {
  if (typeof given !== 'object' || given === null) throw new TypeError(`${component}: options must be an object`);
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(given)) if (v !== undefined) o[k] = v;
  const problem = checkObject(schema, o, '');
  if (problem) throw optionError(component, problem.path, problem.message, problem.got);
  return o as T;
}

interface Problem {
  path: string;
  message: string;
  got?: unknown;
}

/**
 * The few keywords option schemas use (type, minimum, maximum, minLength, pattern, x-kind, properties,
 * required, default), checked by hand: ajv would compile code for each schema, tens of ms of
 * start-up that a one-shot CLI run pays for nothing.
 */
function checkObject(schema: JsonSchema, o: Record<string, unknown>, at: string): Problem | undefined {
  const required = new Set((schema.required as string[] | undefined) ?? []);
  for (const [key, prop] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) {
    const path = at ? `${at}.${key}` : key;
    // A default object is copied: it is filled in (nested defaults) and handed out to every instance.
    if (o[key] === undefined && 'default' in prop) o[key] = typeof prop.default === 'object' ? structuredClone(prop.default) : prop.default;
    // A plain object given (not a class instance such as a policy) is copied before its defaults are filled in: the caller's stays as given.
    else if (prop.properties && isPlain(o[key])) o[key] = { ...(o[key] as object) };
    if (o[key] === undefined) {
      if (required.has(key)) return { path, message: 'is required' };
      continue;
    }
    const problem = checkValue(prop, o[key], path);
    if (problem) return problem;
  }
  return undefined;
}

function isPlain(v: unknown): boolean {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

const A_TYPE: Record<string, string> = { integer: 'a whole number', number: 'a number', string: 'a string', boolean: 'true or false', object: 'an object' };

function checkValue(s: JsonSchema, v: unknown, path: string): Problem | undefined {
  const kind = s['x-kind'];
  if (kind === 'function' && typeof v !== 'function') return { path, message: 'must be a function', got: v };
  if (kind === 'object' && (typeof v !== 'object' || v === null) && typeof v !== 'function') return { path, message: 'must be an object', got: v };
  const type = s.type as string | undefined;
  const fits =
    type === undefined ||
    (type === 'integer' ? Number.isInteger(v) : type === 'number' ? typeof v === 'number' && Number.isFinite(v) : type === 'object' ? (typeof v === 'object' && v !== null) || typeof v === 'function' : typeof v === type);
  if (!fits) return { path, message: `must be ${A_TYPE[type!] ?? type}`, got: v };
  if (typeof s.minimum === 'number' && (v as number) < s.minimum) return { path, message: `must be >= ${s.minimum}`, got: v };
  if (typeof s.maximum === 'number' && (v as number) > s.maximum) return { path, message: `must be <= ${s.maximum}`, got: v };
  if (typeof s.minLength === 'number' && (v as string).length < s.minLength) return { path, message: s.minLength === 1 ? 'must not be empty' : `must be at least ${s.minLength} characters` };
  if (typeof s.pattern === 'string' && !new RegExp(s.pattern).test(v as string)) return { path, message: (s['x-error'] as string | undefined) ?? `must match ${s.pattern}`, got: v };
  if (type === 'object' && s.properties) {
    const inner: Record<string, unknown> = v as Record<string, unknown>;
    for (const k of Object.keys(inner)) if (isPlain(inner) && inner[k] === undefined) delete inner[k];
    return checkObject(s, inner, path);
  }
  return undefined;
}

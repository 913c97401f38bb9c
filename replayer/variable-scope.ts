import { randomBytes, randomUUID } from 'node:crypto';
import type { Generator, Variable } from '../core/index.js';

/** A template needed a value the run does not have. */
export class MissingValueError extends Error {
  constructor(
    readonly variable: string,
    readonly source: 'input' | 'extract' | 'unknown',
    message: string,
  ) {
    super(message);
    this.name = 'MissingValueError';
  }
}

export type TemplateContext = 'url' | 'header' | 'form' | 'text';

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.$-]+)\s*\}\}/g;
const EXACT = /^\{\{\s*([A-Za-z0-9_.$-]+)\s*\}\}$/;
const URL_AUTHORITY = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*$/i;

/**
 * The values of one run's workflow variables, and the rendering of `{{name}}` templates.
 * Source values are kept as their own type (a number input stays a number); the variable's
 * transform then the context's encoding are applied where the value lands.
 */
export class VariableScope {
  private readonly values = new Map<string, unknown>();
  private restored?: Readonly<Record<string, unknown>>;

  constructor(
    /** The workflow's variables by name. */
    private readonly vars: ReadonlyMap<string, Variable>,
    /** Resolves an input name to its value (given, default, or opened sealed default). */
    private readonly input: (name: string) => unknown,
  ) {}

  variable(name: string): Variable | undefined {
    return this.vars.get(name);
  }

  /** Records an extracted (or restored) source value. */
  set(name: string, value: unknown): void {
    this.values.set(name, value);
  }

  /**
   * Values restored from a stored session (read-only, shared by the runs that use it), read
   * through rather than copied in. They win over what the run held under the same names; a later
   * set() wins over them. Replaces any earlier restored values.
   */
  restore(values: Readonly<Record<string, unknown>>): void {
    // A second restore (a newer session adopted mid-run) keeps what the first gave, as copies.
    const earlier = this.restored;
    if (earlier) for (const k in earlier) if (!this.values.has(k)) this.values.set(k, earlier[k]);
    if (this.values.size) for (const k in values) this.values.delete(k);
    this.restored = values;
  }

  has(name: string): boolean {
    return this.values.has(name) || (this.restored !== undefined && Object.prototype.hasOwnProperty.call(this.restored, name));
  }

  /** The source value, before transform (what a session keeps). */
  raw(name: string): unknown {
    if (this.values.has(name)) return this.values.get(name);
    if (this.restored !== undefined && Object.prototype.hasOwnProperty.call(this.restored, name)) return this.restored[name];
    const v = this.vars.get(name);
    let value: unknown;
    if (!v) {
      // A template may name an input directly.
      value = this.input(name);
      if (value === undefined) throw new MissingValueError(name, 'unknown', `No variable or input named ${name}`);
      return value;
    }
    switch (v.source.kind) {
      case 'input':
        value = this.input(v.source.input);
        if (value === undefined) throw new MissingValueError(name, 'input', `No value for input ${v.source.input}`);
        return value;
      case 'constant':
        value = v.source.value;
        break;
      case 'generated':
        value = generate(v.source.generator, v.source.length);
        break;
      case 'extract':
        throw new MissingValueError(name, 'extract', `${name} was not extracted from step ${v.source.step}`);
    }
    // Generated once per run: two places that carried the same nonce keep carrying the same one.
    this.values.set(name, value);
    return value;
  }

  /** The value as placed: source value with the variable's transform applied. */
  value(name: string): unknown {
    const raw = this.raw(name);
    const t = this.vars.get(name)?.transform;
    if (!t) return raw;
    let s = stringify(raw);
    if (t.encoding === 'base64') s = Buffer.from(s, 'utf8').toString('base64');
    else if (t.encoding === 'url') s = encodeURIComponent(s);
    return (t.prefix ?? '') + s + (t.suffix ?? '');
  }

  render(template: string, ctx: TemplateContext): string {
    if (!template.includes('{{')) return template;
    const parts = compileTemplate(template);
    let out = '';
    for (const p of parts) {
      if (typeof p === 'string') {
        out += p;
        continue;
      }
      const s = stringify(this.value(p.name));
      if (ctx === 'url') {
        // The whole URL, its authority, or a path right after the authority goes in as is.
        out += p.rawInUrl || this.vars.get(p.name)?.transform?.encoding === 'url' ? s : encodeURIComponent(s);
      } else if (ctx === 'header') {
        out += s.includes('\r') || s.includes('\n') ? s.replace(/[\r\n]+/g, ' ') : s;
      } else {
        out += s;
      }
    }
    return out;
  }

  /** Renders a JSON body template: a string exactly `{{name}}` takes the value's own type. */
  renderJson(template: unknown): unknown {
    if (typeof template === 'string') {
      const exact = EXACT.exec(template);
      if (exact) return this.value(exact[1]!);
      return this.render(template, 'text');
    }
    if (Array.isArray(template)) return template.map((t) => this.renderJson(t));
    if (template !== null && typeof template === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(template)) out[k] = this.renderJson(v);
      return out;
    }
    return template;
  }

  /** Names a template refers to. */
  static names(template: string): string[] {
    return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
  }
}

/** A template cut once into its literal text and its placeholders (rawInUrl: what precedes it is empty or a URL authority). */
type TemplatePart = string | { name: string; rawInUrl: boolean };

const compiled = new Map<string, TemplatePart[]>();
const COMPILED_MAX = 2000;

function compileTemplate(template: string): TemplatePart[] {
  let parts = compiled.get(template);
  if (parts) return parts;
  parts = [];
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    const offset = m.index!;
    if (offset > last) parts.push(template.slice(last, offset));
    const prefix = template.slice(0, offset);
    parts.push({ name: m[1]!, rawInUrl: prefix === '' || URL_AUTHORITY.test(prefix) });
    last = offset + m[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  // Templates come from stored workflows: a bounded cache, emptied rather than tracked.
  if (compiled.size >= COMPILED_MAX) compiled.clear();
  compiled.set(template, parts);
  return parts;
}

export function stringify(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function generate(g: Generator, length?: number): unknown {
  switch (g) {
    case 'uuid':
      return randomUUID();
    case 'timestamp_ms':
      return Date.now();
    case 'timestamp_s':
      return Math.floor(Date.now() / 1000);
    case 'iso_date':
      return new Date().toISOString();
    case 'nonce': {
      const n = length && length > 0 ? length : 16;
      const bytes = randomBytes(n);
      let s = '';
      for (let i = 0; i < n; i++) s += ALNUM[bytes[i]! % ALNUM.length];
      return s;
    }
    default:
      return randomUUID();
  }
}

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

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** The source value, before transform (what a session keeps). */
  raw(name: string): unknown {
    if (this.values.has(name)) return this.values.get(name);
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
    return template.replace(PLACEHOLDER, (_m, name: string, offset: number) => {
      const s = stringify(this.value(name));
      if (ctx === 'url') {
        const prefix = template.slice(0, offset);
        // The whole URL, its authority, or a path right after the authority goes in as is.
        if (prefix === '' || URL_AUTHORITY.test(prefix)) return s;
        if (this.vars.get(name)?.transform?.encoding === 'url') return s;
        return encodeURIComponent(s);
      }
      if (ctx === 'header') return s.replace(/[\r\n]+/g, ' ');
      return s;
    });
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

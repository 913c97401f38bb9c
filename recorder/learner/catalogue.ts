import { isSecretName, type Variable, type WorkflowInput } from '../../core/index.js';
import type { Chain } from './chains.js';
import { chainLabel, extractorName, extractorPhrase, slotPhrase } from './describe.js';
import { NameBook } from './name-book.js';
import type { Resolution, Slot } from './request-model.js';
import { isSecretSlot } from './resolve.js';
import { lastKey, snakeCase } from './values.js';

/** A typed value with what the action log says about it. */
export interface TypedInput {
  input: string;
  value: string;
  secret: boolean;
  selector?: string;
  description: string;
}

/** Literal text and placeholders, so each place can encode the literal parts its own way. */
export type Parts = Array<string | { v: string }>;

interface VarEntry {
  variable: Variable;
  uses: number;
}

/**
 * The workflow's variables and inputs, named and described as the kept steps are walked in
 * order. Equal sources share one variable; equal free values under one name share one input.
 */
export class Catalogue {
  private readonly names = new NameBook();
  private readonly vars = new Map<string, VarEntry>();
  private readonly inputs = new Map<string, WorkflowInput>();
  private readonly byKey = new Map<string, string>();
  /** Variables extracted by bootstrap steps: the session tokens. */
  readonly tokenVars: string[] = [];
  /** Values of secret inputs nothing explained, for notes. */
  readonly untraced: Array<{ name: string; value: string; phrase: string }> = [];
  /** Inputs made for placeholders a sanitiser left, for notes. */
  readonly redacted: Array<{ name: string; phrase: string }> = [];

  constructor(
    private readonly typed: TypedInput[],
    private readonly sealSecret: (plain: string) => string,
    private readonly stepIds: Map<number, string>,
    private readonly chains: Chain[],
    private readonly bootstrap: Set<number>,
  ) {
    for (const t of typed) {
      this.names.reserve(t.input);
      this.inputs.set(t.input, {
        name: t.input,
        type: 'string',
        secret: t.secret,
        required: false,
        ...(t.secret ? { defaultSealed: sealSecret(t.value) } : { default: t.value }),
        description: t.description,
        origin: 'typed',
      });
    }
  }

  /** The parts of a slot's value: literal text and placeholders. */
  parts(s: Slot, stepId: string): Parts {
    const r = s.res;
    switch (r.kind) {
      case 'literal':
        return [s.value];
      case 'typed': {
        const name = this.inputVar(r.input, `${slotPhrase(s)} of ${stepId} ← typed input ${r.input}`);
        if (r.whole) {
          this.typeFromJson(r.input, s);
          return [{ v: name }];
        }
        const t = this.typed.find((x) => x.input === r.input)!;
        const out: Parts = [];
        s.value.split(t.value).forEach((piece, i) => {
          if (i > 0) out.push({ v: name });
          if (piece) out.push(piece);
        });
        return out;
      }
      case 'free':
      case 'secret':
        return [{ v: this.requestInput(s, stepId, r.kind === 'secret') }];
      case 'constant':
        return [{ v: this.constantVar(s, stepId) }];
      case 'redacted':
        return [{ v: this.redactedInput(s, stepId) }];
      case 'generated': {
        const key = `gen|${s.key}|${r.source.generator}`;
        let name = this.byKey.get(key);
        if (!name) {
          name = this.names.take(lastKey(s.key));
          this.byKey.set(key, name);
          this.addVar(name, { name, source: r.source, recorded: s.value, secret: false, description: `${slotPhrase(s)} of ${stepId} ← generated on each run (${r.source.generator}; recorded ${s.value})` });
        } else this.vars.get(name)!.uses++;
        return [{ v: name }];
      }
      case 'extract':
        return [...(r.prefix ? [r.prefix] : []), { v: this.extractVar(s, r, stepId) }];
    }
  }

  /** A typed value that lands in a JSON number or boolean is an input of that type. */
  private typeFromJson(input: string, s: Slot): void {
    const inp = this.inputs.get(input)!;
    if (inp.type !== 'string' || (s.jsonType !== 'number' && s.jsonType !== 'boolean')) return;
    inp.type = s.jsonType;
    if (inp.default !== undefined) inp.default = s.jsonType === 'number' ? Number(s.value) : s.value === 'true';
  }

  private addVar(name: string, variable: Variable): void {
    this.vars.set(name, { variable, uses: 1 });
  }

  /** The variable of an input (created on first use). */
  inputVar(input: string, description: string): string {
    const e = this.vars.get(input);
    if (e) e.uses++;
    else {
      const secret = this.inputs.get(input)!.secret;
      this.addVar(input, { name: input, source: { kind: 'input', input }, secret, description });
    }
    return input;
  }

  private requestInput(s: Slot, stepId: string, secret: boolean): string {
    const base = lastKey(s.key);
    // One value used in several places (a page name in the URL and in the form) is one input;
    // short values only under one name (`2` here and `2` there are not the same thing).
    // A JSON number or boolean is its own input: shared with a text slot, its type would be
    // wrong for one of them (a run would send "5" where 5 was recorded, or the other way round).
    const typed = s.jsonType === 'number' || s.jsonType === 'boolean' ? `|${s.jsonType}` : '';
    const key = (s.value.length >= 4 ? `in|${s.value}` : `in|${base}|${s.value}`) + typed;
    const known = this.byKey.get(key);
    if (known) return this.inputVar(known, '');
    const name = this.names.take(base);
    this.byKey.set(key, name);
    const phrase = `${slotPhrase(s)} of step ${stepId}`;
    let def: string | number | boolean = s.value;
    if (s.jsonType === 'number' && Number.isFinite(Number(s.value))) def = Number(s.value);
    else if (s.jsonType === 'boolean') def = s.value === 'true';
    this.inputs.set(name, {
      name,
      type: s.jsonType === 'number' || s.jsonType === 'boolean' ? s.jsonType : 'string',
      secret,
      required: false,
      ...(secret ? { defaultSealed: this.sealSecret(s.value) } : { default: def }),
      description: secret ? `${phrase} (could not be traced to any earlier response; recorded value sealed)` : phrase,
      origin: 'request',
    });
    if (secret) this.untraced.push({ name, value: s.value, phrase: `${slotPhrase(s)} of ${stepId}` });
    return this.inputVar(name, `${phrase} ← input ${name}`);
  }

  /** An app constant, listed as a variable (PATCH can promote it to an input); equal ones under one name share it. */
  private constantVar(s: Slot, stepId: string): string {
    const base = lastKey(s.key);
    const key = `const|${snakeCase(base)}|${s.value}`;
    const known = this.byKey.get(key);
    if (known) {
      this.vars.get(known)!.uses++;
      return known;
    }
    const name = this.names.take(base);
    this.byKey.set(key, name);
    this.addVar(name, { name, source: { kind: 'constant', value: s.value }, recorded: s.value, secret: false, description: `${slotPhrase(s)} of ${stepId}: a constant of the app (recorded ${JSON.stringify(s.value)})` });
    return name;
  }

  /** A value the HAR's exporter replaced: a required secret input named after its field, no default. */
  private redactedInput(s: Slot, stepId: string): string {
    const base = lastKey(s.key);
    const key = `redacted|${snakeCase(base)}`;
    const known = this.byKey.get(key);
    if (known) return this.inputVar(known, '');
    const name = this.names.take(base);
    this.byKey.set(key, name);
    const phrase = `${slotPhrase(s)} of step ${stepId}`;
    this.inputs.set(name, {
      name,
      type: 'string',
      secret: true,
      required: true,
      description: `${phrase} (redacted in the HAR: the value must be supplied)`,
      origin: 'request',
    });
    this.redacted.push({ name, phrase: `${slotPhrase(s)} of ${stepId}` });
    return this.inputVar(name, `${phrase} ← input ${name}`);
  }

  private extractVar(s: Slot, r: Extract<Resolution, { kind: 'extract' }>, stepId: string): string {
    const key = `ex|${r.ref.chain}|${JSON.stringify(r.ref.extractor)}|${JSON.stringify(r.transform ?? null)}`;
    const known = this.byKey.get(key);
    if (known) {
      this.vars.get(known)!.uses++;
      return known;
    }
    const source = this.chains[r.ref.chain]!;
    const srcName = extractorName(r.ref.extractor);
    const name = this.names.take(srcName ?? lastKey(s.key));
    this.byKey.set(key, name);
    const secret = isSecretSlot(s) || (srcName !== undefined && isSecretName(srcName)) || r.ref.extractor.type === 'set_cookie';
    const via = r.transform?.encoding ? ` (${r.transform.encoding}-encoded)` : '';
    const description = `${slotPhrase(s)} of ${stepId} ← ${extractorPhrase(r.ref.extractor)} in the response of ${this.stepIds.get(r.ref.chain)} (${chainLabel(source)})${via}`;
    this.addVar(name, {
      name,
      source: { kind: 'extract', step: this.stepIds.get(r.ref.chain)!, extractor: r.ref.extractor },
      ...(r.transform ? { transform: r.transform } : {}),
      ...(secret || r.value === '' ? {} : { recorded: r.value }),
      secret,
      description,
    });
    if (this.bootstrap.has(r.ref.chain)) this.tokenVars.push(name);
    return name;
  }

  variables(): Variable[] {
    return [...this.vars.values()].map((e) => (e.uses > 1 ? { ...e.variable, description: `${e.variable.description} (used in ${e.uses} places)` } : e.variable));
  }

  workflowInputs(): WorkflowInput[] {
    return [...this.inputs.values()];
  }
}

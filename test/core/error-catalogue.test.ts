import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { AppError, ERROR_CATALOGUE, errorCategory, errorSpec, toPublicError, type ErrorCode } from '../../core/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const CATEGORIES = ['input', 'session', 'person', 'transient', 'target', 'browser', 'internal'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('core: the error catalogue', () => {
  it('gives every code a status, a category and a message', () => {
    for (const [code, spec] of Object.entries(ERROR_CATALOGUE)) {
      expect(code, code).to.match(/^[a-z][a-z0-9_]*$/);
      expect(spec.status, code).to.be.within(400, 599);
      expect(CATEGORIES, code).to.include(spec.category);
      expect(spec.message, code).to.be.a('string').and.not.equal('');
    }
  });

  it('every code the sources throw or answer with is in the catalogue', () => {
    const used = new Set<string>();
    for (const folder of ['core', 'browser-pool', 'recorder', 'replayer', 'server']) {
      for (const file of sources(join(root, folder))) {
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(/new (?:AppError|StepFailure)\(\s*'([a-z_0-9]+)'/g)) used.add(m[1]!);
        for (const m of text.matchAll(/super\(\s*'([a-z_0-9]+)'/g)) used.add(m[1]!);
      }
    }
    expect(used.size).to.be.greaterThan(20);
    for (const code of used) expect(errorSpec(code), `${code} is thrown but not in the catalogue`).to.not.equal(undefined);
  });

  it('refuses a code outside the catalogue, so an uncatalogued error cannot be answered', () => {
    expect(() => new AppError('no_such_code' as ErrorCode, 'x')).to.throw(TypeError, /not in the error catalogue/);
    expect(() => new AppError('toString' as ErrorCode)).to.throw(TypeError);
    expect(errorSpec('__proto__')).to.equal(undefined);
  });

  it('takes its status, category and default message from the catalogue; options by name', () => {
    const cause = new Error('socket hang up');
    const err = new AppError('queue_full', undefined, { retryAfter: 7, details: [{ path: 'queue', message: 'full' }], cause });
    expect(err.statusCode).to.equal(429);
    expect(err.category).to.equal('transient');
    expect(err.retryable).to.equal(true);
    expect(err.retryAfter).to.equal(7);
    expect(err.cause).to.equal(cause);
    expect(err.message).to.equal(ERROR_CATALOGUE.queue_full.message);
    expect(toPublicError(err)).to.deep.equal({ code: 'queue_full', message: err.message, details: [{ path: 'queue', message: 'full' }] });
    expect(new AppError('run_deadline_exceeded').retryable).to.equal(false);
    expect(new AppError('browser_crashed').retryable).to.equal(true);
    expect(errorCategory(new Error('boom'))).to.equal('internal');
    expect(toPublicError(new Error('secret detail'))).to.deep.equal({ code: 'internal', message: 'Internal error' });
  });
});

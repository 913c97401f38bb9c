import { expect } from 'chai';
import { sharedHarsDir } from '../helpers/shared-fixtures.js';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isSecretHeader, type HARFile, type Workflow } from '../../core/index.js';
import { learn, type LearnOptions } from '../../recorder/learner/index.js';

const DIR = fileURLToPath(sharedHarsDir());
const seal = (s: string): string => `sealed(${s.length})`;

/** Parses like an upload does before validation: strip a BOM; undefined when not JSON at all. */
function readHar(file: string): HARFile | undefined {
  try {
    return JSON.parse(readFileSync(DIR + file, 'utf8').replace(/^\uFEFF/, '')) as HARFile;
  } catch {
    return undefined;
  }
}

const learnFile = (file: string, opts: Partial<LearnOptions> = {}): Workflow => learn(readHar(file)!, { sealSecret: seal, id: 'wf_h', now: () => new Date(0), ...opts });

/** What must hold for any learned workflow, whatever the HAR. */
function checkInvariants(wf: Workflow): void {
  expect(wf.steps.length).to.be.greaterThan(0);
  expect(wf.steps.map((s) => s.id)).to.deep.equal(wf.steps.map((_, i) => `s${i + 1}`));
  expect(wf.steps.map((s) => s.id)).to.include(wf.output.step);
  expect(wf.stats.kept).to.equal(wf.steps.length);
  expect(wf.stats.kept + Object.values(wf.stats.dropped).reduce((a, b) => a + b, 0)).to.equal(wf.stats.entries);
  const names = new Set(wf.variables.map((v) => v.name));
  const inputs = new Set(wf.inputs.map((i) => i.name));
  const order = new Map(wf.steps.map((s, i) => [s.id, i]));
  for (const s of wf.steps) {
    expect(wf.origins).to.include(new URL(s.request.url.replace(/\{\{[^}]+\}\}/g, 'x')).origin);
    for (const h of s.request.headers) expect(h.name.toLowerCase()).to.not.be.oneOf(['cookie', 'host', 'content-length']).and.not.match(/^:/);
    for (const m of JSON.stringify(s.request).matchAll(/\{\{([^}]+)\}\}/g)) expect(names, `${s.id} uses {{${m[1]}}}`).to.include(m[1]);
  }
  for (const v of wf.variables) {
    if (v.source.kind === 'extract') expect(order.has(v.source.step)).to.equal(true);
    if (v.source.kind === 'input') expect(inputs).to.include(v.source.input);
    if (v.secret) expect(v).to.not.have.property('recorded');
  }
  for (const i of wf.inputs) if (i.secret) expect(i).to.not.have.property('default');
}

/** Auth/CSRF header and cookie values of the capture never appear in steps, variables or inputs. */
function checkNoSecretInClear(har: HARFile, wf: Workflow): void {
  const text = JSON.stringify({ steps: wf.steps, variables: wf.variables, inputs: wf.inputs });
  for (const e of har.log.entries) {
    const values = [...(e.request.headers ?? []).filter((h) => isSecretHeader(h.name)).map((h) => h.value), ...(e.request.cookies ?? []).map((c) => c.value)];
    for (const v of values) if (v && v.length >= 8) expect(text, `${e.request.url} leaks a secret`).to.not.include(v);
  }
}

describe('learner: shared fixture HARs', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.har')).sort();

  it('finds the fixture files', () => {
    expect(files.length).to.be.greaterThan(15);
  });

  for (const file of files) {
    it(`learns ${file} without error`, function () {
      const har = readHar(file);
      if (!har) {
        expect(file).to.match(/broken/); // the one file that is not JSON: ingest rejects it, learn never sees it
        return;
      }
      const wf = learnFile(file);
      checkInvariants(wf);
      checkNoSecretInClear(har, wf);
      expect(JSON.stringify(learnFile(file))).to.equal(JSON.stringify(wf));
    });
  }

  it('22 (Blitz): the anti-CSRF header becomes a secret input, its JS-set cookie is flagged', () => {
    const wf = learnFile('22-har2openapi-chrome-post-json-cookie.har');
    expect(wf.steps.map((s) => s.description)).to.deep.equal(['POST /api/users/queries/getCurrentUser']);
    const s1 = wf.steps[0]!;
    expect(s1.stateChanging).to.equal(true);
    expect(s1.request.headers).to.deep.include({ name: 'anti-csrf', value: '{{anti_csrf}}' });
    expect(s1.request.body).to.deep.equal({ kind: 'json', mimeType: 'application/json', template: { params: null, meta: {} } });
    expect(wf.inputs).to.deep.equal([
      {
        name: 'anti_csrf',
        type: 'string',
        secret: true,
        required: false,
        defaultSealed: 'sealed(32)',
        description: 'header anti-csrf of step s1 (could not be traced to any earlier response; recorded value sealed)',
        origin: 'request',
      },
    ]);
    expect(wf.session?.jsCookies.map((c) => c.name)).to.deep.equal(['proposalHunt_sAntiCsrfToken']);
    expect(wf.session?.bootstrapSteps).to.deep.equal([]);
    expect(wf.notes.join('\n')).to.include('header anti-csrf of s1 carries the value of cookie proposalHunt_sAntiCsrfToken');
    expect(JSON.stringify(wf.steps)).to.not.include('bMBNEsvnocdYBmF8YVzA9-tCXHyvHhpq');
    expect(s1.expect.jsonKeys).to.deep.equal(['error', 'meta', 'result', 'result.email', 'result.id', 'result.name', 'result.role']);
    expect(wf.outputSchema).to.have.nested.property('properties.result.properties.email.type', 'string');
  });

  it('14 (LinkedIn): tracking is noise; the form POST keeps its JSESSIONID bootstrap and seals the untraceable csrfToken', () => {
    expect(learnFile('14-pagexray-firefox43-har11-post-json-form.har').steps.map((s) => s.description)).to.deep.equal(['GET /']);
    const wf = learnFile('14-pagexray-firefox43-har11-post-json-form.har', { target: { urlIncludes: '/lite/rum-track' } });
    expect(wf.steps.map((s) => [s.description, s.bootstrap])).to.deep.equal([
      ['GET /', true],
      ['POST /lite/rum-track', false],
    ]);
    // In this capture csrfToken (ajax:2865…) is not the JSESSIONID value (ajax:6397…): nothing explains it.
    expect(wf.steps[1]!.request.url).to.equal('https://www.linkedin.com/lite/rum-track?csrfToken={{csrf_token}}');
    expect(wf.inputs.find((i) => i.name === 'csrf_token')).to.include({ secret: true, defaultSealed: 'sealed(24)' });
    expect(wf.session?.cookies).to.deep.equal(['JSESSIONID']);
    expect(wf.notes.join('\n')).to.include('response bodies missing in this HAR');
  });

  it('14 (LinkedIn) with csrfToken equal to the quoted JSESSIONID cookie: traced to Set-Cookie', () => {
    const har = readHar('14-pagexray-firefox43-har11-post-json-form.har')!;
    const rum = har.log.entries.find((e) => e.request.url.includes('/lite/rum-track'))!;
    rum.request.url = 'https://www.linkedin.com/lite/rum-track?csrfToken=ajax%3A6397089261371032347';
    const wf = learn(har, { sealSecret: seal, id: 'wf_h', now: () => new Date(0), target: { urlIncludes: '/lite/rum-track' } });
    const v = wf.variables.find((x) => x.name === 'jsessionid')!;
    expect(v.source).to.deep.equal({ kind: 'extract', step: 's1', extractor: { type: 'set_cookie', name: 'JSESSIONID' } });
    expect(v.secret).to.equal(true);
    expect(wf.steps[1]!.request.url).to.equal('https://www.linkedin.com/lite/rum-track?csrfToken={{jsessionid}}');
    expect(wf.session?.tokens).to.deep.equal(['jsessionid']);
  });

  it('15 (Playwright): assets and the script redirect are noise; a named target collapses its redirect', () => {
    const wf = learnFile('15-playwright-har-fulfill.har');
    expect(wf.steps.map((s) => [s.description, s.expect])).to.deep.equal([['GET /', { status: 200, contentType: 'text/html', htmlTitle: 'Hey' }]]);
    expect(wf.stats.dropped).to.deep.equal({ static: 4 });
    const js = learnFile('15-playwright-har-fulfill.har', { target: { method: 'GET', urlIncludes: '/script.js' } });
    expect(js.steps.map((s) => [s.description, s.redirects, s.expect.status])).to.deep.equal([['GET /script.js → /script2.js', 1, 200]]);
  });

  it('16 (Playwright, h2): a three-origin redirect chain is one step without pseudo-headers', () => {
    const wf = learnFile('16-playwright-har-redirect-cookies-h2.har');
    expect(wf.steps.map((s) => [s.description, s.redirects, s.request.url])).to.deep.equal([['GET /', 2, 'https://theverge.com/']]);
    expect(wf.origins).to.deep.equal(['http://www.theverge.com', 'https://theverge.com', 'https://www.theverge.com']);
    expect(wf.session).to.equal(null);
  });

  it('11 (failed flows): the aborted GET is dropped, the 405 form POST stays with free inputs', () => {
    const wf = learnFile('11-mitmproxy-export-failed-flows.har');
    expect(wf.steps.map((s) => [s.description, s.expect.status])).to.deep.equal([['POST /get', 405]]);
    expect(wf.inputs.map((i) => [i.name, i.default])).to.deep.equal([
      ['key1', 'value1'],
      ['key2', 'value2'],
    ]);
    expect(wf.stats.dropped).to.deep.equal({ failed: 1 });
  });
});

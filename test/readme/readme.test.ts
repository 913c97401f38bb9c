import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { CONFIG_VARS, type Workflow } from '../../core/index.js';
import { fixtureFlow, startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { curlExamples, runCurlExample } from '../helpers/curl-examples.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');

describe('README', () => {
  it('documents every configuration variable with its default', () => {
    for (const v of CONFIG_VARS) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${v.env}\` |`));
      expect(row, v.env).to.be.a('string');
      expect(row, v.env).to.include(v.default === '' ? '(unset)' : `\`${v.default}\``);
    }
  });

  describe('every curl line, against a running server', function () {
    this.timeout(180_000);
    let site: FixtureSite;
    let app: TestApp;
    let wf: Workflow;
    before(async () => {
      site = await startFixtureSite();
      app = await startTestApp({ poolMax: 1 });
      const post = async (path: string, body: unknown) => {
        const res = await fetch(`${app.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        const json = await res.json();
        if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
        return json;
      };
      const rec = await post('/v1/recordings', { startUrl: `${site.url}/login`, actions: fixtureFlow(site).slice(1) });
      wf = (await post(`/v1/recordings/${rec.id}/stop`, {})).workflow;
    });
    after(async () => {
      await app?.close();
      await site?.close();
    });

    const examples = curlExamples(readme);
    it(`has curl examples (${examples.length})`, () => {
      expect(examples.length).to.be.greaterThan(8);
    });
    for (const ex of examples) {
      it(ex.command.slice(0, 110), async () => {
        await runCurlExample(ex, { RF: app.url, WF: wf.id }, root);
      });
    }
  });
});

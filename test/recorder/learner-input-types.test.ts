import { expect } from 'chai';
import { hoistCommonHeaders, isAppError, stepHeaders, type Action, type Workflow, type WorkflowStep } from '../../core/index.js';
import { learn } from '../../recorder/index.js';
import { compileWorkflow } from '../../replayer/compiled-workflow.js';
import { buildRequest } from '../../replayer/request-builder.js';
import { validateInputs } from '../../replayer/run-inputs.js';
import { VariableScope } from '../../replayer/variable-scope.js';
import { workflowInputsSchema } from '../../server/openapi.js';
import { har, type Ex } from './learner-har-builder.js';

const SITE = 'https://shop.test';
const page: Ex = { url: `${SITE}/search`, mime: 'text/html', body: '<html><title>Search</title><input id="limit"></html>', resourceType: 'document' };

/** The JSON body the workflow's target step sends for these inputs (the recorded defaults otherwise). */
function sentBody(wf: Workflow, inputs: Record<string, unknown>): unknown {
  const c = compileWorkflow(wf);
  const scope = new VariableScope(c.variables, (n) => inputs[n] ?? c.inputSpecs.get(n)?.default);
  const step = wf.steps.find((s) => s.id === wf.output.step)!;
  return JSON.parse(String(buildRequest(step, scope, wf.origins[0], wf.headers).body));
}

describe('learner: input types from recorded values, common headers', () => {
  it('a value typed by the person that lands in a JSON number is a number input; the run sends a number', () => {
    const actions: Action[] = [
      { type: 'goto', url: `${SITE}/search` },
      { type: 'fill', selector: '#limit', value: '5', input: 'limit' },
      { type: 'fill', selector: '#q', value: 'apple pie', input: 'q' },
      { type: 'click', selector: '#go' },
    ];
    const wf = learn(
      har([page, { method: 'POST', url: `${SITE}/api/search`, post: { mime: 'application/json', text: '{"limit":5,"q":"apple pie"}' }, mime: 'application/json', body: '{"results":[]}' }]),
      { actions, sealSecret: () => 'sealed' },
    );
    const limit = wf.inputs.find((i) => i.name === 'limit');
    expect(limit).to.include({ type: 'number', default: 5 });
    expect(wf.inputs.find((i) => i.name === 'q')).to.include({ type: 'string', default: 'apple pie' });
    expect((workflowInputsSchema(wf).properties as Record<string, { type: string }>).limit!.type).to.equal('number');
    expect(sentBody(wf, {})).to.deep.equal({ limit: 5, q: 'apple pie' });
    expect(sentBody(wf, { limit: 7 })).to.deep.equal({ limit: 7, q: 'apple pie' });
    try {
      validateInputs(wf, { limit: '7' });
      expect.fail('a string for a number input was accepted');
    } catch (err) {
      expect(isAppError(err) && err.code).to.equal('invalid_input');
    }
  });

  it('an untraced JSON number and the same value in a query string stay two inputs, each of its recorded type', () => {
    // A query value is text on the wire ("05" and "5" differ): kept a string. The JSON one is a number.
    const wf = learn(
      har([
        { method: 'POST', url: `${SITE}/api/quote?ref=987654`, post: { mime: 'application/json', text: '{"ref":987654,"gift":true,"note":"for mum"}' }, mime: 'application/json', body: '{"quote":1}' },
      ]),
      { sealSecret: () => 'sealed' },
    );
    const refs = wf.inputs.filter((i) => i.default === 987654 || i.default === '987654');
    expect(refs.map((i) => i.type).sort()).to.deep.equal(['number', 'string']);
    const body = sentBody(wf, {}) as Record<string, unknown>;
    expect(body.ref).to.equal(987654);
    const num = refs.find((i) => i.type === 'number')!;
    expect((sentBody(wf, { [num.name]: 123 }) as Record<string, unknown>).ref).to.equal(123);
  });

  it('common headers keep every step\'s header order when the recording lists them in wire order', () => {
    const h = (name: string, value = 'v') => ({ name, value });
    // Chrome's wire order, not sorted: only what the merge puts back in place is made common.
    const steps = [
      [h('Accept-Language', 'en'), h('sec-ch-ua', 'Chromium'), h('Upgrade-Insecure-Requests', '1'), h('User-Agent', 'UA'), h('Accept', 'text/html')],
      [h('Accept-Language', 'en'), h('sec-ch-ua', 'Chromium'), h('Content-Type', 'application/json'), h('User-Agent', 'UA'), h('Accept', '*/*')],
      [h('Accept-Language', 'en'), h('sec-ch-ua', 'Chromium'), h('User-Agent', 'UA'), h('Accept', '*/*'), h('Authorization', 'Bearer {{token}}')],
    ].map((headers, i) => ({ id: `s${i + 1}`, request: { method: 'GET', url: `${SITE}/${i}`, headers } }) as unknown as WorkflowStep);
    const { common, own } = hoistCommonHeaders(steps);
    expect(common.map((x) => x.name)).to.deep.equal(['Accept-Language']);
    steps.forEach((s, i) => expect(stepHeaders(common, own[i]!), s.id).to.deep.equal(s.request.headers));
  });

  it('an Authorization header every step sends is common, as a secret placeholder, never in clear', () => {
    const token = 'Bearer tok_5f1e2d3c4b5a69788796a5b4';
    const wf = learn(
      har([
        { url: `${SITE}/api/me`, mime: 'application/json', body: '{"id":"u_8c7d6e5f4a3b"}', reqHeaders: { Authorization: token, 'User-Agent': 'UA/1' } },
        { method: 'POST', url: `${SITE}/api/orders`, post: { mime: 'application/json', text: '{"sku":"A-1234-XL","owner":"u_8c7d6e5f4a3b"}' }, mime: 'application/json', body: '{"id":"o1"}', reqHeaders: { Authorization: token, 'User-Agent': 'UA/1' } },
      ]),
      { sealSecret: () => 'sealed' },
    );
    expect(JSON.stringify(wf)).to.not.include('tok_5f1e2d3c4b5a69788796a5b4');
    expect(wf.steps).to.have.length(2);
    const headers = wf.headers ?? [];
    const auth = headers.find((x) => x.name === 'Authorization');
    expect(auth?.value).to.match(/^(Bearer )?\{\{\w+\}\}$/);
    expect(wf.inputs.find((i) => auth!.value.includes(`{{${i.name}}}`))).to.include({ secret: true });
  });
});

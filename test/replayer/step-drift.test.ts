import { expect } from 'chai';
import type { WorkflowStep } from '../../core/index.js';
import { ResponseView } from '../../replayer/extract.js';
import type { HttpResponse } from '../../replayer/http-client.js';
import { formChange, FormChanged, stepDrift } from '../../replayer/step-drift.js';

const step = (over: Partial<WorkflowStep> = {}): WorkflowStep => ({
  id: 's2',
  description: 'POST /login',
  request: { method: 'POST', url: 'http://site/login', headers: [] },
  redirects: 1,
  stateChanging: true,
  bootstrap: true,
  expect: { status: 200 },
  ...over,
});
const view = (body: string, contentType = 'text/html'): ResponseView =>
  new ResponseView({ status: 200, url: 'http://site/x', contentType, headers: {}, body: Buffer.from(body), setCookies: new Map(), locations: [], hopUrls: [] } as unknown as HttpResponse);
const warnings: string[] = [];
const o = (x: { failed: boolean; isOutput: boolean; sentAny: boolean; page: (id: string) => ResponseView | undefined }) => ({ ...x, warn: (w: string) => warnings.push(w) });
const loginPage = (fields: string[]) => `<form method=post>${fields.map((f) => `<input name="${f}">`).join('')}</form>`;

describe('step drift: a changed form, an output that lost fields', () => {
  const form = { page: 's1', fields: ['_csrf', 'username', 'password'] };

  it('a submit that failed on a page whose fields changed is FormChanged drift, naming the fields', () => {
    const renamed = view(loginPage(['_csrf', 'login[name]', 'login[pass]']));
    expect(formChange(step({ form }), renamed)).to.equal('the form s2 (POST /login) submits changed on the page of step s1: new fields login[name], login[pass]; no fields username, password any more');
    const err = stepDrift(step({ form }), 1, view('<p>error</p>'), o({ failed: true, isOutput: false, sentAny: false, page: () => renamed }));
    expect(err).to.be.instanceOf(FormChanged);
    expect(err).to.include({ code: 'site_changed', verdict: 'drift', stepIndex: 1 });
  });

  it('the same form (a wrong password, a JS challenge) or no recorded form is no drift: the session verdict stands', () => {
    expect(formChange(step({ form }), view(loginPage(['_csrf', 'username', 'password'])))).to.equal(undefined);
    expect(formChange(step(), view(loginPage(['x'])))).to.equal(undefined);
    expect(formChange(step({ form }), undefined), 'the page not fetched in this run').to.equal(undefined);
    expect(stepDrift(step({ form }), 1, view(''), o({ failed: false, isOutput: false, sentAny: false, page: () => view(loginPage(['x'])) })), 'a submit that went through').to.equal(undefined);
  });

  it('an output without recorded fields is drift while nothing state-changing was sent, a warning after; an empty list is not judged', () => {
    const out = step({ id: 's3', description: 'GET /api/search', stateChanging: false, bootstrap: false, expect: { status: 200, contentType: 'application/json', jsonKeys: ['results', 'results[].id', 'results[].title', 'total'] } });
    const renamed = view(JSON.stringify({ results: [{ id: 'a', name: 'x' }], total: 1 }), 'application/json');
    const err = stepDrift(out, 2, renamed, o({ failed: false, isOutput: true, sentAny: false, page: () => undefined }));
    expect(err?.message).to.equal('s3 (GET /api/search) answered JSON without the field results[].title its recorded answer had (now results[].name)');
    warnings.length = 0;
    expect(stepDrift(out, 2, renamed, o({ failed: false, isOutput: true, sentAny: true, page: () => undefined })), 'after an accepted effect').to.equal(undefined);
    expect(warnings, 'said as a warning instead').to.deep.equal(['s3 (GET /api/search) answered JSON without the field results[].title its recorded answer had (now results[].name) (the site had accepted a state-changing step: the run stands on its outcome check)']);
    expect(stepDrift(out, 2, renamed, o({ failed: false, isOutput: false, sentAny: false, page: () => undefined })), 'not the output').to.equal(undefined);
    const optional = view(JSON.stringify({ results: [{ id: 'a', title: 'x' }] }), 'application/json');
    expect(stepDrift(out, 2, optional, o({ failed: false, isOutput: true, sentAny: false, page: () => undefined })), 'a field merely absent (total): no rename').to.equal(undefined);
    const empty = view(JSON.stringify({ results: [], total: 0 }), 'application/json');
    expect(stepDrift(out, 2, empty, o({ failed: false, isOutput: true, sentAny: false, page: () => undefined }))).to.equal(undefined);
  });
});

import type { SecretBox, Workflow } from '../../core/index.js';
import { fixtureFlow } from '../fixtures/site/index.js';

/**
 * The fixture site's workflow written by hand, the way the learner is meant to write it
 * (core/workflow.ts): login form → login POST (redirect to /app collapsed into it, CSRF meta
 * read from /app) → search → create → read back. Lets the replayer be tested without the learner.
 */
export function fixtureWorkflow(url: string, secretBox: SecretBox, id = `wf_fixture_${Math.random().toString(16).slice(2, 10)}`): Workflow {
  const now = new Date().toISOString();
  const json = [
    { name: 'accept', value: 'application/json' },
    { name: 'x-requested-with', value: 'XMLHttpRequest' },
  ];
  return {
    id,
    name: 'fixture: search, create, read back',
    schemaVersion: 1,
    createdAt: now,
    updatedAt: now,
    origins: [url],
    startUrl: `${url}/login`,
    steps: [
      {
        id: 's1',
        description: 'GET /login',
        request: { method: 'GET', url: `${url}/login`, headers: [{ name: 'accept', value: 'text/html' }] },
        redirects: 0,
        stateChanging: false,
        bootstrap: true,
        expect: { status: 200, contentType: 'text/html', htmlTitle: 'Sign in' },
      },
      {
        id: 's2',
        description: 'POST /login',
        request: {
          method: 'POST',
          url: `${url}/login`,
          headers: [
            { name: 'accept', value: 'text/html' },
            { name: 'origin', value: url },
            { name: 'referer', value: `${url}/login` },
          ],
          body: {
            kind: 'form',
            mimeType: 'application/x-www-form-urlencoded',
            fields: [
              { name: '_csrf', value: '{{login_csrf}}' },
              { name: 'return_to', value: '{{return_to}}' },
              { name: 'username', value: '{{username}}' },
              { name: 'password', value: '{{password}}' },
            ],
          },
        },
        redirects: 1,
        stateChanging: true,
        bootstrap: true,
        expect: { status: 200, contentType: 'text/html', htmlTitle: 'App' },
      },
      {
        id: 's3',
        description: 'GET /api/search',
        request: { method: 'GET', url: `${url}/api/search?q={{query}}&limit=10`, headers: json },
        redirects: 0,
        stateChanging: false,
        bootstrap: false,
        expect: { status: 200, contentType: 'application/json', jsonKeys: ['query', 'results', 'results[].id', 'results[].title', 'total'] },
      },
      {
        id: 's4',
        description: 'POST /api/items',
        request: {
          method: 'POST',
          url: `${url}/api/items`,
          headers: [...json, { name: 'x-csrf-token', value: '{{csrf_token}}' }],
          body: { kind: 'json', mimeType: 'application/json', template: { title: '{{title}}' } },
        },
        redirects: 0,
        stateChanging: true,
        bootstrap: false,
        expect: { status: 201, contentType: 'application/json', jsonKeys: ['createdAt', 'id', 'owner', 'title'] },
      },
      {
        id: 's5',
        description: 'GET /api/items/:id',
        request: { method: 'GET', url: `${url}/api/items/{{item_id}}`, headers: json },
        redirects: 0,
        stateChanging: false,
        bootstrap: false,
        expect: { status: 200, contentType: 'application/json', jsonKeys: ['createdAt', 'id', 'owner', 'title'], shows: [{ input: 'title', where: 'body' }] },
      },
    ],
    variables: [
      { name: 'login_csrf', source: { kind: 'extract', step: 's1', extractor: { type: 'html_input', name: '_csrf' } }, secret: true, description: 'form field _csrf ← input[name=_csrf] of s1' },
      { name: 'return_to', source: { kind: 'extract', step: 's1', extractor: { type: 'html_input', name: 'return_to' } }, recorded: '/app', secret: false, description: 'form field return_to ← input[name=return_to] of s1' },
      { name: 'username', source: { kind: 'input', input: 'username' }, recorded: 'alice', secret: false, description: 'form field username ← input username' },
      { name: 'password', source: { kind: 'input', input: 'password' }, secret: true, description: 'form field password ← input password' },
      { name: 'csrf_token', source: { kind: 'extract', step: 's2', extractor: { type: 'html_meta', name: 'csrf-token' } }, secret: true, description: 'header X-CSRF-Token ← meta[name=csrf-token] of s2 (GET /app)' },
      { name: 'query', source: { kind: 'input', input: 'query' }, recorded: 'apple', secret: false, description: 'query parameter q ← input query' },
      { name: 'title', source: { kind: 'input', input: 'title' }, recorded: 'My new item', secret: false, description: 'JSON title ← input title' },
      { name: 'item_id', source: { kind: 'extract', step: 's4', extractor: { type: 'json', path: '$.id' } }, secret: false, description: 'path segment ← $.id of s4' },
    ],
    inputs: [
      { name: 'username', type: 'string', secret: false, required: false, default: 'alice', description: 'typed into #username on /login', origin: 'typed' },
      { name: 'password', type: 'string', secret: true, required: false, defaultSealed: secretBox.seal('s3cret-pass'), description: 'typed into #password on /login', origin: 'typed' },
      { name: 'query', type: 'string', secret: false, required: false, default: 'apple', description: 'typed into #search on /app', origin: 'typed' },
      { name: 'title', type: 'string', secret: false, required: false, default: 'My new item', description: 'typed into #title on /app', origin: 'typed' },
    ],
    session: {
      bootstrapSteps: ['s1', 's2'],
      cookies: ['sid'],
      tokens: ['csrf_token'],
      loginUrl: `${url}/login`,
      brokenStatuses: [401, 403, 419, 440],
      brokenPatterns: ['please log in'],
      jsCookies: [],
      needsBrowser: false,
    },
    output: { step: 's5' },
    actions: fixtureFlow({ url }),
    notes: [],
    stats: { entries: 5, kept: 5, dropped: {} },
  };
}

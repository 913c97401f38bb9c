import { expect } from 'chai';
import type { Action, Workflow } from '../../core/index.js';
import { api } from '../api/helpers.js';

/** The wiki edit as a person does it: log in, open a page's editor by URL, type the text, save. */
export function wikiActions(url: string, page = 'recpage', text = 'Recorded text, first version'): Action[] {
  return [
    { type: 'fill', selector: 'input[name=u]', value: 'alice', input: 'user' },
    { type: 'fill', selector: 'input[name=p]', value: 'wonderland', input: 'password', secret: true },
    { type: 'click', selector: '#dw__login button[type=submit]' },
    { type: 'waitFor', selector: '.user a[href*=logout]' },
    { type: 'goto', url: `${url}/doku.php?id=${page}&do=edit` },
    { type: 'fill', selector: '#wiki__text', value: text, input: 'text' },
    { type: 'click', selector: 'button[name="do[save]"]' },
    { type: 'waitFor', selector: '.page' },
  ];
}

/** Records the wiki edit through the v1 API (a scripted recording) and returns the learned workflow. */
export async function recordWiki(base: string, url: string): Promise<Workflow> {
  const start = await api(base, '/v1/recordings', { body: { startUrl: `${url}/doku.php?do=login`, actions: wikiActions(url), name: 'wiki edit' } });
  expect(start.status, start.text).to.equal(201);
  const stop = await api<{ workflow: Workflow }>(base, `/v1/recordings/${start.json.id}/stop`, { method: 'POST' });
  expect(stop.status, stop.text).to.equal(201);
  return stop.json.workflow;
}

/** The input the learner made of the page name (it came from the goto URL, so it is named after the query parameter). */
export function pageInput(wf: Workflow): string {
  const i = wf.inputs.find((x) => x.default === 'recpage');
  expect(i, JSON.stringify(wf.inputs)).to.not.equal(undefined);
  return i!.name;
}

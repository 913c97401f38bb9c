import { expect } from 'chai';
import { readHtml, type Extractor, type Workflow } from '../../core/index.js';
import { learn } from '../../recorder/learner/index.js';
import { extract, ResponseView } from '../../replayer/extract.js';
import { formPost, har, html, json, ORIGIN } from '../recorder/learner-har-builder.js';

/** The replayer's view of a page, as its HTTP client hands it over. */
function view(body: string): ResponseView {
  return new ResponseView({ status: 200, headers: {}, url: `${ORIGIN}/page`, body: Buffer.from(body, 'utf8'), contentType: 'text/html', locations: [], hopUrls: [], setCookies: new Map() });
}

function fields(body: string): Record<string, string> {
  return Object.fromEntries([...readHtml(body).fields].map(([k, f]) => [k, f.value]));
}

/** Learns "GET the page, POST the form with `sent`" and returns the extractor the learner traced `field` to. */
function learnedExtractor(page: string, sent: Record<string, string>, field: string): Extractor {
  const wf: Workflow = learn(
    har([
      { url: `${ORIGIN}/form`, ...html(page) },
      { url: `${ORIGIN}/form/submit`, post: formPost(sent), ...json({ ok: true }) },
    ]),
    { sealSecret: (s) => `sealed(${s.length})`, id: 'wf_html', now: () => new Date(0) },
  );
  const body = wf.steps[wf.steps.length - 1]!.request.body;
  const ref = body?.kind === 'form' ? body.fields.find((f) => f.name === field)?.value : undefined;
  const v = wf.variables.find((x) => `{{${x.name}}}` === ref);
  if (!v || v.source.kind !== 'extract') throw new Error(`${field} was not traced to the page: ${JSON.stringify(wf.variables)}`);
  return v.source.extractor;
}

describe('core: readHtml, shared by the learner and the replayer', () => {
  it('reads unquoted, upper-case and entity-encoded attributes as a browser does', () => {
    const page = `<FORM><INPUT TYPE=hidden NAME=form_key VALUE=fk_9f8e7d6c><input name="q" value="caf&eacute; &amp; &#39;x&#x27; &lt;b&gt;"></FORM>`;
    expect(fields(page)).to.deep.equal({ form_key: 'fk_9f8e7d6c', q: `café & 'x' <b>` });
    expect(readHtml(page).fields.get('form_key')!.type).to.equal('hidden');
  });

  it('skips markup in comments, scripts, noscript and templates; reads inputs outside forms and in <pre>', () => {
    const page = [
      '<!-- <input name="token" value="tok_stale_1a2b3c"> -->',
      `<script>var f = '<input type="hidden" name="token" value="' + t + '">';</script>`,
      '<noscript><input name="nojs" value="nj_1"></noscript>',
      '<template><input name="tpl" value="tp_1"></template>',
      '<input name="token" value="tok_live_4d5e6f"><pre><input name="inpre" value="pr_1"></pre>',
    ].join('\n');
    expect(fields(page)).to.deep.equal({ token: 'tok_live_4d5e6f', inpre: 'pr_1' });
  });

  it('takes the first field of a name across forms, an input without value as empty, a textarea by its text', () => {
    const page = `<form id="a"><input name="n"><input name="dup" value="first_11"></form><form id="b"><input name="n" value="later_22"><input name="dup" value="second_33"></form>
      <textarea name="note">\nline &amp; <b>bold</b></textarea><input type="password" name="pw" value="typed">`;
    const f = readHtml(page).fields;
    expect(fields(page)).to.deep.equal({ n: '', dup: 'first_11', note: 'line & <b>bold</b>', pw: 'typed' });
    expect(f.get('pw')!.type).to.equal('password');
    expect(f.get('note')!.type).to.equal('textarea');
  });

  it('reads meta tags by name, property or http-equiv, first occurrence, on malformed pages', () => {
    const page = `<html><head><META Property="og:token" Content="og_71ab"><meta name=csrf-token content=ct_5e6f7a8b><meta http-equiv="refresh" content="5; url=/next"><meta name="csrf-token" content="ct_later"><div><p>unclosed <b>tags`;
    expect(Object.fromEntries(readHtml(page).metas)).to.deep.equal({ 'og:token': 'og_71ab', 'csrf-token': 'ct_5e6f7a8b', refresh: '5; url=/next' });
  });

  it('reads nothing from a page without fields or metas, or from text that is not HTML', () => {
    expect(fields('<div>no form here</div>')).to.deep.equal({});
    expect(fields('{"input": "<input name=x value=y"}')).to.deep.equal({});
  });

  describe('what the learner traces, the replayer extracts', () => {
    const cases: Array<{ title: string; page: string; field: string; sent: string }> = [
      {
        // The regex learner read the commented-out field first, so the live token was not traced to the page.
        title: 'a stale token in a comment before the live one',
        page: '<!-- <input type="hidden" name="_token" value="tok_stale_1a2b3c4d"> --><form><input type="hidden" name="_token" value="tok_live_5e6f7a8b"></form>',
        field: '_token',
        sent: 'tok_live_5e6f7a8b',
      },
      {
        // The regex learner kept `&eacute;` as is; the replayer's parser decoded it.
        title: 'a named entity in a value',
        page: '<form><input type=hidden name=state value="s&eacute;lection_9f8e7d6c"></form>',
        field: 'state',
        sent: 'sélection_9f8e7d6c',
      },
      {
        title: 'an unquoted value in an upper-case input outside any form',
        page: '<div><INPUT TYPE=HIDDEN NAME=form_key VALUE=fk_0a1b2c3d4e></div><form></form>',
        field: 'form_key',
        sent: 'fk_0a1b2c3d4e',
      },
      {
        title: 'a token after a script that writes an input of the same name',
        page: `<script>document.write('<input name="nonce" value="' + n + '">')</script><form><input name="nonce" value="nn_7c8d9e0f1a"></form>`,
        field: 'nonce',
        sent: 'nn_7c8d9e0f1a',
      },
    ];
    for (const c of cases) {
      it(c.title, () => {
        const ex = learnedExtractor(c.page, { [c.field]: c.sent, other: 'x' }, c.field);
        expect(ex).to.deep.equal({ type: 'html_input', name: c.field });
        expect(extract(ex, view(c.page))).to.equal(c.sent);
      });
    }

    it('a meta tag named by http-equiv (the old replayer could not extract it)', () => {
      const page = '<head><meta http-equiv="x-request-token" content="rt_4f5a6b7c8d"></head><form></form>';
      const ex = learnedExtractor(page, { request_token: 'rt_4f5a6b7c8d' }, 'request_token');
      expect(ex).to.deep.equal({ type: 'html_meta', name: 'x-request-token' });
      expect(extract(ex, view(page))).to.equal('rt_4f5a6b7c8d');
    });

    it('a value the page no longer offers extracts as undefined, not as another field', () => {
      expect(extract({ type: 'html_input', name: 'gone' }, view('<meta name="gone" content="m"><input name="other" value="o">'))).to.equal(undefined);
      expect(extract({ type: 'html_meta', name: 'gone' }, view('<input name="gone" value="i">'))).to.equal(undefined);
    });
  });
});

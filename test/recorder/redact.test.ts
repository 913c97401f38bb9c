import { readFileSync } from 'node:fs';
import { sharedHarsDir } from '../helpers/shared-fixtures.js';
import { expect } from 'chai';
import harValidator from 'har-validator';
import type { Action, HAREntry, HARFile } from '../../core/index.js';
import { ingestHar, parseActions, redactActions, redactHar } from '../../recorder/index.js';
import { AppError } from '../../core/index.js';

const HARS = sharedHarsDir();
const SID = 'sess-4f9c2a7d1e8b';
const PW = 'hunter2-pw';
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.payload.sig';

function entry(over: Partial<HAREntry>): HAREntry {
  return {
    startedDateTime: '2024-01-01T00:00:00.000Z',
    time: 1,
    request: { method: 'GET', url: 'http://127.0.0.1/', httpVersion: 'HTTP/1.1', cookies: [], headers: [], queryString: [], headersSize: -1, bodySize: -1 },
    response: { status: 200, statusText: 'OK', httpVersion: 'HTTP/1.1', cookies: [], headers: [], content: { size: 0, mimeType: 'text/html' }, redirectURL: '', headersSize: -1, bodySize: -1 },
    cache: {},
    timings: { send: 0, wait: 0, receive: 0 },
    ...over,
  };
}

function sample(): HARFile {
  const login = entry({
    request: {
      method: 'POST',
      url: 'http://127.0.0.1/login',
      httpVersion: 'HTTP/1.1',
      cookies: [{ name: 'anon', value: 'anon-0123456789' }],
      headers: [
        { name: 'Cookie', value: 'anon=anon-0123456789; theme=dark' },
        { name: 'Content-Type', value: 'application/x-www-form-urlencoded' },
      ],
      queryString: [],
      postData: { mimeType: 'application/x-www-form-urlencoded', text: `user=alice&pw_field=${encodeURIComponent(PW)}&password=${encodeURIComponent(PW)}`, params: [{ name: 'password', value: PW }] },
      headersSize: -1,
      bodySize: 40,
    },
    response: {
      status: 302,
      statusText: 'Found',
      httpVersion: 'HTTP/1.1',
      cookies: [{ name: 'sid', value: SID, path: '/', httpOnly: true }],
      headers: [
        { name: 'Set-Cookie', value: `sid=${SID}; Path=/; HttpOnly` },
        { name: 'Location', value: '/app' },
      ],
      content: { size: 0, mimeType: 'text/html' },
      redirectURL: '/app',
      headersSize: -1,
      bodySize: 0,
    },
  });
  const api = entry({
    request: {
      method: 'POST',
      url: `http://127.0.0.1/api?q=apple&access_token=${TOKEN}`,
      httpVersion: 'HTTP/1.1',
      cookies: [{ name: 'sid', value: SID }],
      headers: [{ name: 'Authorization', value: `Bearer ${TOKEN}` }],
      queryString: [
        { name: 'q', value: 'apple' },
        { name: 'access_token', value: TOKEN },
      ],
      postData: { mimeType: 'application/json', text: JSON.stringify({ title: 'x', nested: { apiKey: 'k-123456789' } }) },
      headersSize: -1,
      bodySize: 10,
    },
    response: {
      status: 200,
      statusText: 'OK',
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: [{ name: 'Content-Type', value: 'application/json' }],
      content: { size: 10, mimeType: 'application/json', text: JSON.stringify({ you: 'alice', echo: `session ${SID}`, token: 'tok-abcdefghij' }) },
      redirectURL: '',
      headersSize: -1,
      bodySize: 10,
    },
  });
  const b64 = entry({
    response: { ...api.response, content: { size: 5, mimeType: 'text/plain', encoding: 'base64', text: Buffer.from(`pw is ${PW}`).toString('base64') } },
  });
  return { log: { version: '1.2', creator: { name: 'test', version: '1' }, entries: [login, api, b64] } };
}

describe('recorder: redaction', () => {
  const actions: Action[] = [
    { type: 'fill', selector: '#user', value: 'alice', input: 'user' },
    { type: 'fill', selector: '#pw', value: PW, input: 'password', secret: true },
  ];

  it('removes secrets from headers, cookies, query, bodies and URLs, keeping the structure', async () => {
    const raw = sample();
    const before = JSON.stringify(raw);
    const red = redactHar(raw, { actions });
    expect(JSON.stringify(raw)).to.equal(before); // a copy, the input is untouched
    const text = JSON.stringify(red);
    for (const secret of [SID, PW, encodeURIComponent(PW), TOKEN, 'anon-0123456789', 'k-123456789', 'tok-abcdefghij']) expect(text, secret).to.not.include(secret);
    expect(Buffer.from(red.log.entries[2]!.response.content.text!, 'base64').toString()).to.equal('pw is [REDACTED]');
    const [login, api] = red.log.entries as [HAREntry, HAREntry];
    expect(login.request.headers[0]!.value).to.equal('anon=[REDACTED]; theme=[REDACTED]');
    expect(login.response.headers[0]!.value).to.equal('sid=[REDACTED]; Path=/; HttpOnly');
    expect(login.response.headers[1]!.value).to.equal('/app');
    expect(login.request.postData!.text).to.match(/^user=alice&pw_field=\[REDACTED\]&password=%5BREDACTED%5D$/);
    expect(api.request.headers[0]!.value).to.equal('Bearer [REDACTED]');
    expect(api.request.queryString).to.deep.equal([
      { name: 'q', value: 'apple' },
      { name: 'access_token', value: '[REDACTED]' },
    ]);
    expect(api.request.url).to.equal('http://127.0.0.1/api?q=apple&access_token=%5BREDACTED%5D');
    expect(JSON.parse(api.response.content.text!)).to.deep.equal({ you: 'alice', echo: 'session [REDACTED]', token: '[REDACTED]' });
    expect(red.log.entries).to.have.length(3);
    await harValidator.har(red);
  });

  it('redacts bearer tokens anywhere in a URL: query, fragment, path, userinfo', () => {
    const har = sample();
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
    har.log.entries[0]!.request.url = `http://bob:pa55word@127.0.0.1/t/${jwt}/x?a=1&b=%20&api_key=k-987654321#access_token=tok-xyz-123456&state=ok`;
    const red = redactHar(har);
    const url = red.log.entries[0]!.request.url;
    expect(url).to.equal('http://bob:%5BREDACTED%5D@127.0.0.1/t/[REDACTED]/x?a=1&b=%20&api_key=%5BREDACTED%5D#access_token=%5BREDACTED%5D&state=ok');
    for (const s of [jwt, 'k-987654321', 'tok-xyz-123456', 'pa55word']) expect(JSON.stringify(red)).to.not.include(s);
  });

  it('redacts secret fields of a multipart body', () => {
    const text = ['--b', 'Content-Disposition: form-data; name="user"', '', 'alice', '--b', 'Content-Disposition: form-data; name="password"', '', 'pw1', '--b--', ''].join('\r\n');
    const har = sample();
    har.log.entries[0]!.request.postData = { mimeType: 'multipart/form-data; boundary=b', text };
    const red = redactHar(har);
    expect(red.log.entries[0]!.request.postData!.text).to.equal(text.replace('pw1', '[REDACTED]'));
  });

  it('keeps real fixtures valid, with their bearer tokens gone', async () => {
    const { har } = await ingestHar(readFileSync(new URL('10-mitmproxy-export-protobuf-binary-posts.har', HARS)), { limitBytes: 1e8 });
    const auth = har.log.entries.flatMap((e) => e.request.headers).find((h) => h.name.toLowerCase() === 'authorization')!.value;
    const token = auth.split(' ')[1]!;
    const red = redactHar(har);
    expect(JSON.stringify(red)).to.not.include(token);
    await harValidator.har(red);
  });

  it('redacts typed secrets in the action log only', () => {
    const out = redactActions(actions);
    expect(out.map((a) => a.value)).to.deep.equal(['alice', '[REDACTED]']);
    expect(actions[1]!.value).to.equal(PW);
  });

  it('parseActions checks every action and names the path', () => {
    expect(parseActions([{ type: 'goto', url: 'http://127.0.0.1/' }, { type: 'waitFor', selector: '#x' }, { type: 'fill', selector: '#a', value: '' }])).to.have.length(3);
    const bad = (x: unknown) => {
      try {
        parseActions(x);
      } catch (err) {
        expect(err).to.be.instanceOf(AppError);
        expect((err as AppError).code).to.equal('invalid_action');
        return (err as AppError).details!.map((d) => d.path);
      }
      throw new Error('expected invalid_action');
    };
    expect(bad({})).to.deep.equal(['']);
    expect(bad([null, { type: 'click' }, { type: 'press', selector: '#a' }, { type: 'goto', url: 'javascript:alert(1)' }, { type: 'waitFor' }, { type: 'fill', selector: 3, value: 'x' }])).to.deep.equal([
      '[0]',
      '[1].selector',
      '[2].key',
      '[3].url',
      '[4]',
      '[5].selector',
    ]);
  });
});

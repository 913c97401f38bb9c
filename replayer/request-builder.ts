import { randomBytes } from 'node:crypto';
import { stepHeaders, type HeaderTemplate, type WorkflowStep } from '../core/index.js';
import { isSendableHeader, type HttpRequest } from './http-client.js';
import type { VariableScope } from './variable-scope.js';

/**
 * Turns a step's request template into the request to send, each value encoded for where it
 * lands: percent-encoded in the URL, raw in headers, URLSearchParams in forms, typed in JSON.
 */
export function buildRequest(step: WorkflowStep, scope: VariableScope, baseOrigin: string | undefined, common?: HeaderTemplate[]): HttpRequest {
  const r = step.request;
  const c = prepared(r, common);
  let url = scope.render(r.url, 'url');
  if (!c.absolute && !ABSOLUTE.test(url)) url = new URL(url, baseOrigin).href;
  const headers: Record<string, string> = {};
  for (let i = 0; i < c.names.length; i++) {
    const name = c.names[i]!;
    if (!c.sendable[i]) continue;
    const value = scope.render(c.headers[i]!.value, 'header');
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  let body: string | Buffer | undefined;
  const b = r.body;
  if (b) {
    switch (b.kind) {
      case 'json':
        body = JSON.stringify(scope.renderJson(b.template));
        break;
      case 'form': {
        const params = new URLSearchParams();
        for (const f of b.fields) params.append(f.name, scope.render(f.value, 'form'));
        body = params.toString();
        break;
      }
      case 'multipart': {
        const boundary = `----replayfarm${randomBytes(12).toString('hex')}`;
        const parts: Buffer[] = [];
        for (const f of b.fields) {
          const disp = `form-data; name="${quote(f.name)}"${f.fileName !== undefined ? `; filename="${quote(f.fileName)}"` : ''}`;
          const type = f.contentType ? `\r\nContent-Type: ${f.contentType}` : '';
          parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disp}${type}\r\n\r\n${scope.render(f.value, 'text')}\r\n`, 'utf8'));
        }
        parts.push(Buffer.from(`--${boundary}--\r\n`, 'utf8'));
        body = Buffer.concat(parts);
        // The recorded boundary is meaningless for our body.
        headers['content-type'] = `multipart/form-data; boundary=${boundary}`;
        break;
      }
      case 'text':
        body = scope.render(b.template, 'text');
        break;
      case 'binary':
        body = Buffer.from(b.base64, 'base64');
        break;
    }
    if (headers['content-type'] === undefined && b.mimeType) headers['content-type'] = b.mimeType;
  }
  return { method: c.method, url, headers, body, ownHeaders: true };
}

const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** What a request template gives every run alike, worked out once per template object. */
interface Prepared {
  method: string;
  /** Lower-case header names, in the order sent (the step's own merged with the workflow's common ones). */
  names: string[];
  /** The header templates themselves, in the same order (their values are read on each build). */
  headers: HeaderTemplate[];
  /** What it was worked out from: a change of either (a hand edit) works it out again. */
  own: HeaderTemplate[];
  common: HeaderTemplate[] | undefined;
  /** Per name: sent as recorded (isSendableHeader); the others are the client's to set. */
  sendable: boolean[];
  /** The URL template itself starts with a scheme: the rendered URL is absolute. */
  absolute: boolean;
}

const preparedCache = new WeakMap<WorkflowStep['request'], Prepared>();

function prepared(r: WorkflowStep['request'], common: HeaderTemplate[] | undefined): Prepared {
  let c = preparedCache.get(r);
  if (!c || c.own !== r.headers || c.common !== common || c.own.length + (common?.length ?? 0) !== c.names.length) {
    const all = stepHeaders(common, r.headers);
    const names = all.map((h) => h.name.toLowerCase());
    c = { method: r.method.toUpperCase(), names, headers: all, own: r.headers, common, sendable: names.map(isSendableHeader), absolute: ABSOLUTE.test(r.url) };
    preparedCache.set(r, c);
  }
  return c;
}

function quote(s: string): string {
  return s.replace(/["\r\n]/g, (c) => (c === '"' ? '%22' : c === '\r' ? '%0D' : '%0A'));
}

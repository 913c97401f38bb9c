import type { Response } from 'playwright';
import type { AppError, RunOutput, WorkflowStep } from '../core/index.js';
import { isJsonMime } from './extract.js';
import type { HttpResponse } from './http-client.js';
import { checkOutcome } from './outcome-check.js';
import type { RunInputs } from './run-inputs.js';
import { toOutput } from './run-output.js';

/**
 * The output step's answer as the page got it (the redirect chain followed), and whether it is
 * the outcome asked for: the same check as over HTTP.
 */
export async function outcomeOf(out: WorkflowStep, inputs: RunInputs, captured: Response): Promise<{ output: RunOutput; miss?: AppError }> {
  let res = captured;
  // A redirect has no body: follow the chain the page followed.
  for (let i = 0; i < 10 && res.status() >= 300 && res.status() < 400; i++) {
    const next = await res.request().redirectedTo()?.response();
    if (!next) break;
    res = next;
  }
  const body = await res.body().catch(() => Buffer.alloc(0));
  const contentType = (res.headers()['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const chain = redirectChain(captured);
  const urls = [captured.url(), ...chain, res.url()];
  // A recorded final redirect (not followed over HTTP) is compared with the redirect the page got.
  const status = out.expect.status >= 300 && out.expect.status < 400 ? captured.status() : res.status();
  const output = toOutput(res.status(), contentType, body);
  const json = isJsonMime(contentType) && typeof output.body !== 'string' ? output.body : undefined;
  const miss = checkOutcome(out, inputs.get, { status, contentType, text: body.toString('utf8'), urls, hops: chain.length, json });
  return { output, ...(miss ? { miss } : {}) };
}

/** The Locations of a response's redirect chain, as the page followed it. */
function redirectChain(first: Response): string[] {
  const out: string[] = [];
  for (let req = first.request().redirectedTo(); req && out.length < 20; req = req.redirectedTo()) out.push(req.url());
  return out;
}

/** A page's network response as the HTTP runner's response type (redirect chain followed). */
export async function toHttpResponse(first: Response): Promise<HttpResponse> {
  let res = first;
  const locations: string[] = [];
  const hopUrls: string[] = [];
  for (let i = 0; i < 20 && res.status() >= 300 && res.status() < 400; i++) {
    const loc = res.headers()['location'];
    if (loc !== undefined) locations.push(loc);
    const next = await res.request().redirectedTo()?.response();
    if (!next) break;
    hopUrls.push(next.url());
    res = next;
  }
  const headers = res.headers();
  const redirect = res.status() >= 300 && res.status() < 400;
  const body = redirect ? Buffer.alloc(0) : await res.body();
  return {
    status: res.status(),
    headers,
    url: res.url(),
    body,
    contentType: (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase(),
    locations,
    hopUrls,
    setCookies: new Map(),
  };
}

import type { Run, Workflow } from '../core/index.js';
import { Replayfarm } from '../server/replayfarm.js';
import { describeWorkflow } from '../server/describe-workflow.js';
import { fixtureFlow, startFixtureSite, type FixtureSite } from '../test/fixtures/site/index.js';

export interface DemoOptions {
  /** Record in a visible window (needs a display or Xvfb). Default false (headless). */
  headed?: boolean;
  /** API port; default 3000 (0 = any free port). */
  port?: number;
  /** Redis key prefix of the demo's data. Default `rf-demo:`. */
  keyPrefix?: string;
  /** Where the story is told, line by line. */
  say: (line: string) => void;
  /** Extra configuration (tests pass their own prefix, log level, …). */
  env?: NodeJS.ProcessEnv;
}

export interface DemoFigures {
  recordMs: number;
  browserRunMs: number;
  repairRunMs: number;
  httpRunMs: number[];
  httpMedianMs: number;
  repairs: number;
  afterRepairMode: string;
}

export interface DemoResult {
  rf: Replayfarm;
  site: FixtureSite;
  url: string;
  workflow: Workflow;
  figures: DemoFigures;
  curlLines: string[];
  /** CLI commands on the demo's data (its KEY_PREFIX), as printed. */
  cliLines: string[];
  /** The console's page of the learned workflow, as printed. */
  consoleUrl: string;
  close(): Promise<void>;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function api<T>(url: string, method: string, body?: unknown): Promise<T> {
  const res = await fetch(url, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = (await res.json()) as T & { error?: { code: string; message: string } };
  if (!res.ok) throw new Error(`${method} ${url} → ${res.status} ${json.error?.code}: ${json.error?.message}`);
  return json;
}

/**
 * The whole loop on the bundled demo site, through the real API: record in a browser, learn,
 * run at HTTP level with new inputs, have the site revoke the session (and demand JavaScript at
 * login), watch the next run repair the session in a browser and resume, compare the timings.
 */
export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const say = opts.say;
  const site = await startFixtureSite();
  say(`demo site (a login form with CSRF, a JSON API, analytics noise) on ${site.url}`);
  const rf = new Replayfarm({
    env: opts.env ?? process.env,
    config: { port: opts.port ?? 3000, keyPrefix: opts.keyPrefix ?? 'rf-demo:', allowLoopback: true, ...(opts.env?.LOG_LEVEL ? {} : { logLevel: 'warn' }) },
  });
  const url = await rf.listen();
  say(`replayfarm API on ${url}`);
  const close = async () => {
    await rf.close();
    await site.close();
  };
  try {
    say(`\n1. recording login → search → create → read back in ${opts.headed ? 'a visible' : 'a headless'} Chromium…`);
    const t0 = performance.now();
    const actions = fixtureFlow(site).slice(1);
    const rec = await api<{ id: string }>(`${url}/v1/recordings`, 'POST', { startUrl: `${site.url}/login`, headed: opts.headed ?? false, name: 'demo: create an item', actions });
    const { workflow } = await api<{ workflow: Workflow }>(`${url}/v1/recordings/${rec.id}/stop`, 'POST');
    const recordMs = performance.now() - t0;
    say(`   recorded ${actions.length} actions in ${Math.round(recordMs)} ms`);
    say(`\n2. learned:\n${describeWorkflow(workflow).replace(/^/gm, '   ')}`);

    const runUrl = `${url}/v1/workflows/${workflow.id}/runs`;
    const run = (inputs: Record<string, unknown>, mode = 'auto') => api<Run>(runUrl, 'POST', { inputs, mode, wait: 120 });
    const show = (r: Run) =>
      `${r.status} in ${r.durationMs} ms, mode ${r.mode}${r.fallback ? `, repaired in a browser (${r.fallback.reason})` : ''} → ${
        r.error ? `${r.error.code}: ${r.error.message}` : JSON.stringify(r.output?.body ?? null).slice(0, 90)
      }`;

    say('\n3. running at HTTP level with new inputs (the first run logs in over HTTP; the rest reuse the session):');
    const first = await run({ query: 'banana', title: 'Made by replayfarm' });
    say(`   run 1: ${show(first)}`);
    if (first.status !== 'succeeded') throw new Error(`the first run failed: ${first.error?.code} ${first.error?.message}`);
    const httpRunMs: number[] = [];
    for (let i = 2; i <= 6; i++) {
      const r = await run({ query: 'cherry', title: `Item ${i}` });
      if (r.status !== 'succeeded') throw new Error(`run ${i} failed: ${r.error?.code} ${r.error?.message}`);
      httpRunMs.push(r.durationMs ?? 0);
      say(`   run ${i}: ${show(r)}`);
    }

    say('\n4. the site revokes every session and now demands JavaScript at login (HTTP re-login cannot work):');
    site.revokeAllSessions();
    site.setLoginChallenge(true);
    const repaired = await run({ query: 'apple', title: 'After the repair' });
    say(`   run 7: ${show(repaired)}`);
    if (repaired.status !== 'succeeded') throw new Error(`the repair run failed: ${repaired.error?.code} ${repaired.error?.message}`);
    const after = await run({ query: 'apple', title: 'Back to HTTP' });
    say(`   run 8: ${show(after)}`);

    say('\n5. the same workflow in a real (pooled) browser, for comparison:');
    const browser = await run({ query: 'apple', title: 'Browser run' }, 'browser');
    say(`   ${show(browser)}`);
    if (browser.status !== 'succeeded') throw new Error(`the browser run failed: ${browser.error?.code} ${browser.error?.message}`);

    const runs = [first, ...[repaired, after, browser]];
    const figures: DemoFigures = {
      recordMs,
      browserRunMs: browser.durationMs ?? 0,
      repairRunMs: repaired.durationMs ?? 0,
      httpRunMs,
      httpMedianMs: median(httpRunMs),
      repairs: runs.filter((r) => r.fallback).length,
      afterRepairMode: after.mode,
    };
    say('\n   | run                          | ms     |');
    say('   |------------------------------|--------|');
    say(`   | browser run (mode browser)   | ${String(Math.round(figures.browserRunMs)).padStart(6)} |`);
    say(`   | repair run (hybrid)          | ${String(Math.round(figures.repairRunMs)).padStart(6)} |`);
    say(`   | HTTP run (median of ${httpRunMs.length})       | ${String(Math.round(figures.httpMedianMs)).padStart(6)} |`);
    say(`   HTTP runs are ${(figures.browserRunMs / Math.max(figures.httpMedianMs, 0.1)).toFixed(0)}x faster than the browser run.`);

    const curlLines = [
      `curl -s -X POST ${runUrl} -H 'content-type: application/json' -d '{"inputs":{"query":"banana","title":"From curl"}}'`,
      `curl -s ${url}/v1/workflows/${workflow.id}`,
      `curl -s ${url}/v1/workflows/${workflow.id}/runs`,
      `curl -s ${url}/metrics`,
    ];
    const consoleUrl = `${url}/console/#/workflows/${workflow.id}`;
    say(`\n6. replayfarm keeps running. Open the console in a browser: ${consoleUrl}\n   (its steps, where each value comes from, a run form, live run history; Record shows a pooled browser live)`);
    say(`   or call the workflow yourself:\n${curlLines.map((l) => `   ${l}`).join('\n')}`);
    // The demo keeps its data under its own prefix, apart from the CLI's default (rf:): say how to reach it.
    const prefix = rf.config.keyPrefix;
    const cliLines = [
      `KEY_PREFIX=${prefix} node dist/server/cli.js runs ${workflow.id}`,
      `KEY_PREFIX=${prefix} ALLOW_LOOPBACK_TARGETS=true node dist/server/cli.js run ${workflow.id} --input query=banana --input title='From the CLI'`,
    ];
    say(`\n   or with the CLI (the demo's data is under KEY_PREFIX=${prefix}, the CLI's default is rf:):\n${cliLines.map((l) => `   ${l}`).join('\n')}`);
    return { rf, site, url, workflow, figures, curlLines, cliLines, consoleUrl, close };
  } catch (err) {
    await close();
    throw err;
  }
}

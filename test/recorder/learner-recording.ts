import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright';
import { performAction } from '../../browser-pool/index.js';
import type { Action, HARFile } from '../../core/index.js';
import { fixtureFlow, startFixtureSite } from '../fixtures/site/index.js';

export interface FixtureRecording {
  har: HARFile;
  actions: Action[];
  siteUrl: string;
  analyticsUrl: string;
}

const ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * Records the fixture site's demo workflow in a real Chromium with Playwright's HAR recorder,
 * the way a scripted recording does. Everything it starts is closed before it returns.
 */
export async function recordFixtureFlow(opts: { pollIntervalMs?: number } = {}): Promise<FixtureRecording> {
  const dir = mkdtempSync(join(tmpdir(), 'rf-learner-'));
  const path = join(dir, 'flow.har');
  const site = await startFixtureSite({ pollIntervalMs: opts.pollIntervalMs ?? 250 });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  try {
    const context = await browser.newContext({ recordHar: { path, content: 'embed' } });
    const page = await context.newPage();
    const actions = fixtureFlow(site);
    for (const a of actions) await performAction(page, a, { timeoutMs: 30_000 });
    // Let the page poll a few more times after the last action, as a person would linger: the
    // learner calls a GET polling once it repeated at least three times.
    const polls = () => site.counters()['GET /api/notifications'] ?? 0;
    const target = Math.max(polls(), 2) + 1;
    while (polls() < target) await page.waitForResponse((r) => r.url().endsWith('/api/notifications'), { timeout: 30_000 });
    await context.close();
    const har = JSON.parse(readFileSync(path, 'utf8')) as HARFile;
    return { har, actions, siteUrl: site.url, analyticsUrl: site.analyticsUrl };
  } finally {
    await browser.close();
    await site.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

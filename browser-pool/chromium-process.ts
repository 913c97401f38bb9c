import type { Browser } from 'playwright';
import type { Logger } from '../core/index.js';
import { launchOptions } from './launch-options.js';
import { groupAlive } from './processes.js';

/** After close, how long a browser's helper processes may take to exit before they are killed. */
const REAP_TIMEOUT_MS = 5000;

export interface ChromiumLaunch {
  /** The browser's id, put on its command line (`--replayfarm-browser=<id>`) to find its process. */
  id: string;
  marker: string;
  headed: boolean;
  executablePath: string | undefined;
  display?: string;
  timeoutMs: number;
}

/** The Chromium path launches use (for error messages): the configured one, else what discovery finds. */
export function launchedExecutable(l: ChromiumLaunch): { exe: string; launch: () => Promise<Browser> } {
  const base = launchOptions({ executablePath: l.executablePath, headed: l.headed });
  const env: Record<string, string> = { ...(process.env as Record<string, string>), REPLAYFARM_POOL: l.marker };
  if (l.display) env.DISPLAY = l.display;
  return {
    exe: base.executablePath ?? l.executablePath ?? 'chromium',
    launch: async () => {
      // Playwright loads on the first launch: a process that never needs a browser (a warm HTTP run) never pays for it.
      const { chromium } = await import('playwright');
      return chromium.launch({
        ...base,
        args: [...(base.args ?? []), `--replayfarm-pool=${l.marker}`, `--replayfarm-browser=${l.id}`],
        env,
        timeout: l.timeoutMs,
        // Shutdown belongs to the pool's drain(); Playwright still kills its browsers on process exit.
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      });
    },
  };
}

/**
 * Waits for every process of the browser's group to exit (Playwright's close resolves when the
 * main process is gone, its helpers may take a moment), then SIGKILLs whatever is left.
 */
export async function reapProcessGroup(pgid: number | undefined, browserId: string, log: Logger): Promise<void> {
  if (pgid === undefined) return;
  const end = Date.now() + REAP_TIMEOUT_MS;
  while (groupAlive(pgid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  if (!groupAlive(pgid)) return;
  log.warn('killing leftover browser processes', { browser: browserId, pgid });
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { LaunchOptions } from 'playwright';
import { AppError } from '../core/index.js';

/** Debian's Chromium (`apt-get install -y chromium`); Playwright's own download cannot work on this machine. */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

const INSTALL_HINT = 'install one with "apt-get install -y chromium" or set BROWSER_EXECUTABLE';

function playwrightChromium(): string | undefined {
  try {
    // Loaded here, not at import: a process that never launches a browser never loads Playwright (~0.5 s).
    const { chromium } = createRequire(import.meta.url)('playwright') as typeof import('playwright');
    return chromium.executablePath();
  } catch {
    // Playwright throws when it has no browser registry entry for this platform.
    return undefined;
  }
}

/**
 * The Chromium to launch: the configured path (an error when it does not exist, never a silent
 * fallback), else Playwright's installed Chromium if present, else /usr/bin/chromium.
 * Throws AppError('browser_not_found') naming every path tried and what to install.
 */
export function resolveExecutable(configured?: string): string {
  if (configured !== undefined && configured !== '') {
    if (existsSync(configured)) return configured;
    throw new AppError('browser_not_found', `Chromium not found at configured path ${configured}: ${INSTALL_HINT}`, { details: [
      { message: 'path tried', path: configured },
    ] });
  }
  const tried: string[] = [];
  for (const candidate of [playwrightChromium(), SYSTEM_CHROMIUM]) {
    if (!candidate) continue;
    tried.push(candidate);
    if (existsSync(candidate)) return candidate;
  }
  throw new AppError('browser_not_found', `Chromium not found (tried ${tried.join(', ')}): ${INSTALL_HINT}`, { details: tried.map((p) => ({ message: 'path tried', path: p })) });
}

/**
 * Flags every browser of ours needs on this machine (no internet, often root, small /dev/shm).
 * WebRTC may send UDP only through the proxy, which carries none: without the flag a page's
 * RTCPeerConnection sends STUN packets to any address it names, past the egress proxy.
 */
export function chromiumArgs(): string[] {
  const args = ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage', '--webrtc-ip-handling-policy=disable_non_proxied_udp'];
  // Chromium refuses to start as root with its sandbox on.
  if (process.getuid?.() === 0) args.unshift('--no-sandbox');
  return args;
}

/**
 * Launch settings shared by the pool and playwright.config.ts: executable discovery and the
 * flags above. Throws AppError('browser_not_found') when no Chromium is found.
 */
export function launchOptions(opts: { executablePath?: string; headed?: boolean } = {}): LaunchOptions {
  return {
    executablePath: resolveExecutable(opts.executablePath),
    headless: !opts.headed,
    args: chromiumArgs(),
  };
}

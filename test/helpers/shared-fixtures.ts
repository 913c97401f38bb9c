import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * The real HAR exports (Chrome, Firefox, Safari, Charles, mitmproxy, …) live in the project's
 * shared folder beside the checkout (`../shared/fixtures/hars`, as CI lays it out), not in the
 * repository. SHARED_FIXTURES_DIR points elsewhere. Missing → a clear error, never a silent skip.
 */
export function sharedHarsDir(): URL {
  const configured = process.env.SHARED_FIXTURES_DIR;
  // From test/helpers/ (tsx) or from dist/test/helpers/ (the compiled benches): the checkout's parent.
  const beside = ['../../../shared/fixtures/hars/', '../../../../shared/fixtures/hars/'].map((rel) => new URL(rel, import.meta.url));
  const url = configured ? pathToFileURL(configured.endsWith('/') ? configured : `${configured}/`) : (beside.find((u) => existsSync(u)) ?? beside[0]!);
  if (!existsSync(url)) {
    throw new Error(`The real-world HAR fixtures were not found at ${url.pathname}: check out the project's shared/ folder beside this repository, or set SHARED_FIXTURES_DIR.`);
  }
  return url;
}

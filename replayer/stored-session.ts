import type { SerializedCookieJar } from 'tough-cookie';

/** What is kept per (workflow, session name): the cookie jar and the tokens the login extracted. */
export interface StoredSession {
  /** Bumped on every write; a write that expected another version is dropped (a newer one won). */
  version: number;
  jar: SerializedCookieJar;
  /** Source values of variables the bootstrap extracted (CSRF token, …). */
  tokens: Record<string, unknown>;
  /** False once a repair failed: the next run logs in from scratch. */
  loggedIn: boolean;
  /** When the login that made this session happened (ms). */
  loginAt: number;
  updatedAt: number;
}

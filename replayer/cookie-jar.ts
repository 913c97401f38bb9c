import { CookieJar, type SerializedCookieJar } from 'tough-cookie';

/** A jar from its stored form, or an empty one. */
export function jarFrom(serialized: SerializedCookieJar | undefined): CookieJar {
  if (!serialized) return newJar();
  try {
    return CookieJar.deserializeSync(serialized);
  } catch {
    return newJar();
  }
}

/** An empty jar as the runner uses them: loose parsing, local hosts and special-use domains allowed. */
export function newJar(): CookieJar {
  return new CookieJar(undefined, { looseMode: true, rejectPublicSuffixes: false, allowSpecialUseDomain: true });
}

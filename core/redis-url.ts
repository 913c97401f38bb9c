// Pure helpers about Redis URLs and key prefixes: no client library here, so that config.ts
// (and the CLI's light entry point) can use them.

/**
 * `redis+cluster://[user:password@]host:port` (or `rediss+cluster://` for TLS) names one node of a
 * Redis Cluster: the client asks it for the others (CLUSTER SLOTS), so one reachable seed is enough.
 */
export function isClusterUrl(url: string): boolean {
  return /^rediss?\+cluster:\/\//i.test(url);
}

/** The URL with its password shown as `***`, fit for a log line or a message. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^@/]*):[^@/]*@/, '//$1:***@');
  }
}

/** Whether a key prefix carries a hash tag (`{…}` with something inside), which keeps every key in one cluster slot. */
export function hasHashTag(prefix: string): boolean {
  // Redis hashes what lies between the first `{` and the next `}`, when that is not empty
  const open = prefix.indexOf('{');
  return open !== -1 && prefix.indexOf('}', open + 1) > open + 1;
}

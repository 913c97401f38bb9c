/**
 * `"key": "value"` pairs in a page or script text (JSON and JS object literals). The learner
 * offers each as a `regex` extractor built by `jsonPairPattern`, so the replayer finds the value
 * again with the very pattern the learner matched.
 */

/** Regex source matching `"key": "value"`; group 1 is the raw value. */
export function jsonPairPattern(key: string): string {
  return `"${escapeRegex(key)}"\\s*:\\s*"((?:[^"\\\\]|\\\\.)*)"`;
}

export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\\/]/g, '\\$&');
}

function unescapeJsonString(raw: string): string {
  if (!raw.includes('\\')) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

/**
 * `"key": "value"` pairs in a body text, first occurrence of each key only: the replayer takes
 * the first match of the pattern, so a later pair with the same key would extract another value.
 */
export function inlinePairs(body: string, max = 2000): Array<{ key: string; raw: string; value: string }> {
  const out: Array<{ key: string; raw: string; value: string }> = [];
  const seen = new Set<string>();
  const re = /"([\w$.:@-]{1,64})"\s*:\s*"((?:[^"\\\n]|\\.)*)"/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body)) && out.length < max) {
    const key = m[1]!;
    if (seen.has(key)) continue;
    seen.add(key);
    if (m[2]!.length < 4 || m[2]!.length > 4096) continue;
    out.push({ key, raw: m[2]!, value: unescapeJsonString(m[2]!) });
  }
  return out;
}

/**
 * The subset of JSONPath the learner writes: `$`, `.key`, `['key']`, `["key"]`, `[0]`.
 * Returns undefined when the path does not resolve.
 */
export function jsonPathGet(root: unknown, path: string): unknown {
  let segments = parsedPaths.get(path);
  if (segments === undefined) {
    segments = parseJsonPath(path) ?? null;
    // Paths come from stored workflows: a bounded cache, emptied rather than tracked.
    if (parsedPaths.size >= PARSED_MAX) parsedPaths.clear();
    parsedPaths.set(path, segments);
  }
  if (!segments) return undefined;
  let cur: unknown = root;
  for (const seg of segments) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (typeof seg === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[seg < 0 ? cur.length + seg : seg];
    } else {
      if (!Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
      cur = (cur as Record<string, unknown>)[seg];
    }
  }
  return cur;
}

const parsedPaths = new Map<string, Array<string | number> | null>();
const PARSED_MAX = 2000;

const SEGMENT = /^(?:\.([^.[\]]+)|\[(-?\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\])/;

export function parseJsonPath(path: string): Array<string | number> | undefined {
  let rest = path.trim();
  if (rest.startsWith('$')) rest = rest.slice(1);
  else if (rest && !rest.startsWith('.') && !rest.startsWith('[')) rest = '.' + rest;
  const out: Array<string | number> = [];
  while (rest.length) {
    const m = SEGMENT.exec(rest);
    if (!m) return undefined;
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push((m[3] ?? m[4]!).replace(/\\(.)/g, '$1'));
    rest = rest.slice(m[0].length);
  }
  return out;
}

/** How a value the caller gave shows up in a result: the learner and the replayer's outcome check agree on it. */

/** The forms a value takes in a page or a JSON body: as is, HTML-escaped, JSON-escaped. */
export function shownForms(v: string): string[] {
  const html = v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const forms = new Set([v, html, html.replace(/"/g, '&quot;').replace(/'/g, '&#039;'), html.replace(/"/g, '&quot;').replace(/'/g, '&#39;'), html.replace(/"/g, '&#34;').replace(/'/g, '&#39;'), JSON.stringify(v).slice(1, -1)]);
  return [...forms];
}


/** Some string (or number) in a parsed JSON body holds the value (compared decoded: `<\/p>` is `</p>`). */
export function jsonHolds(node: unknown, value: string, depth = 0): boolean {
  if (typeof node === 'string') return node.includes(value);
  if (typeof node === 'number') return String(node) === value;
  if (depth > 20 || node === null || typeof node !== 'object') return false;
  for (const x of Array.isArray(node) ? node : Object.values(node as Record<string, unknown>)) if (jsonHolds(x, value, depth + 1)) return true;
  return false;
}

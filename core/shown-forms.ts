/** How a value the caller gave shows up in a result: the learner and the replayer's outcome check agree on it. */

/** The forms a value takes in a page or a JSON body: as is, HTML-escaped, JSON-escaped. */
export function shownForms(v: string): string[] {
  const html = v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const forms = new Set([v, html, html.replace(/"/g, '&quot;').replace(/'/g, '&#039;'), html.replace(/"/g, '&quot;').replace(/'/g, '&#39;'), html.replace(/"/g, '&#34;').replace(/'/g, '&#39;'), JSON.stringify(v).slice(1, -1)]);
  return [...forms];
}


import ipaddr from 'ipaddr.js';

/**
 * Fixes the harmless quirks real exporters write (../shared/fixtures/README.md) so that
 * har-validator's strict schema only rejects what is really broken. Works in place on a parsed
 * JSON value that is already known to be `{log:{entries:[…]}}`; anything it cannot make sense of
 * is left alone for the validator to name. Each kind of fix is reported once, with a count and
 * the first JSON path where it applied, so a 600-entry file gives a handful of warnings.
 */
type Obj = Record<string, unknown>;

interface Notes {
  add(what: string, path: string): void;
  list(): string[];
}

function collectNotes(): Notes {
  const seen = new Map<string, { count: number; path: string }>();
  return {
    add(what, path) {
      const n = seen.get(what);
      if (n) n.count++;
      else seen.set(what, { count: 1, path });
    },
    list: () => [...seen].map(([what, n]) => (n.count > 1 ? `${what} (${n.count}×, first at ${n.path})` : `${what} (at ${n.path})`)),
  };
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v);

/** Loose ISO 8601 as har-schema's `date-time` format (ajv 6 "full") accepts it. */
const ISO_DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i;

export function normaliseHar(har: Obj): string[] {
  const notes = collectNotes();
  const log = har.log as Obj;
  if (typeof log.version !== 'string') {
    log.version = '1.2';
    notes.add('log.version missing: set to "1.2"', 'log.version');
  }
  if (!isObj(log.creator)) {
    log.creator = { name: 'unknown', version: '' };
    notes.add('log.creator missing: set to "unknown"', 'log.creator');
  } else {
    fillString(log.creator, 'name', 'log.creator', notes, 'unknown');
    fillString(log.creator, 'version', 'log.creator', notes);
  }
  if (isObj(log.browser)) fillString(log.browser, 'version', 'log.browser', notes);
  if (Array.isArray(log.pages)) {
    log.pages.forEach((p, i) => {
      if (!isObj(p)) return;
      const at = `log.pages[${i}]`;
      if (!isObj(p.pageTimings)) {
        p.pageTimings = {};
        notes.add('page without pageTimings: set to {}', at);
      }
      fillString(p, 'title', at, notes);
    });
  }
  (log.entries as unknown[]).forEach((e, i) => {
    if (isObj(e)) normaliseEntry(e, `log.entries[${i}]`, notes);
  });
  return notes.list();
}

function normaliseEntry(e: Obj, at: string, notes: Notes): void {
  if (typeof e.time !== 'number' || !Number.isFinite(e.time)) {
    e.time = 0;
    notes.add('entry time missing or not a number: set to 0', `${at}.time`);
  }
  normaliseServerIp(e, at, notes);
  if (e.connection != null && typeof e.connection !== 'string') {
    e.connection = String(e.connection);
    notes.add('connection not a string: converted', `${at}.connection`);
  }
  normaliseCache(e, at, notes);
  normaliseTimings(e, at, notes);
  if (isObj(e.request)) normaliseRequest(e.request, `${at}.request`, notes);
  if (isObj(e.response)) normaliseResponse(e, e.response, `${at}.response`, notes);
}

function normaliseServerIp(e: Obj, at: string, notes: Notes): void {
  if (!('serverIPAddress' in e)) return;
  const raw = e.serverIPAddress;
  const path = `${at}.serverIPAddress`;
  if (typeof raw !== 'string' || raw === '') {
    delete e.serverIPAddress;
    notes.add('empty serverIPAddress: dropped', path);
    return;
  }
  const bare = raw.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) {
    if (bare !== raw) {
      e.serverIPAddress = bare;
      notes.add('serverIPAddress in brackets: unwrapped', path);
    }
    return;
  }
  if (ipaddr.IPv6.isValid(bare)) {
    const parsed = ipaddr.IPv6.parse(bare);
    // har-validator checks the ipv6 format strictly and rejects some valid spellings, so use
    // the canonical one; an IPv4-mapped address becomes its IPv4 form.
    const canonical = parsed.isIPv4MappedAddress() ? parsed.toIPv4Address().toString() : parsed.toRFC5952String();
    if (canonical !== raw) {
      e.serverIPAddress = canonical;
      notes.add('serverIPAddress rewritten to its canonical form', path);
    }
    return;
  }
  delete e.serverIPAddress;
  notes.add('serverIPAddress not an IP address: dropped', path);
}

function normaliseCache(e: Obj, at: string, notes: Notes): void {
  if (!isObj(e.cache)) {
    e.cache = {};
    notes.add('cache missing: set to {}', `${at}.cache`);
    return;
  }
  for (const k of ['beforeRequest', 'afterRequest'] as const) {
    const c = e.cache[k];
    if (c === undefined || c === null) continue;
    const ok = isObj(c) && typeof c.lastAccess === 'string' && typeof c.eTag === 'string' && isInt(c.hitCount) && (c.expires === undefined || (typeof c.expires === 'string' && ISO_DATE_TIME.test(c.expires)));
    if (!ok) {
      delete e.cache[k];
      notes.add(`non-standard cache.${k}: dropped`, `${at}.cache.${k}`);
    }
  }
}

function normaliseTimings(e: Obj, at: string, notes: Notes): void {
  if (!isObj(e.timings)) {
    e.timings = {};
    notes.add('timings missing: set to {}', `${at}.timings`);
  }
  const t = e.timings as Obj;
  for (const k of ['send', 'wait', 'receive']) {
    if (typeof t[k] !== 'number' || !Number.isFinite(t[k] as number)) {
      t[k] = -1;
      notes.add(`timings.${k} missing: set to -1`, `${at}.timings.${k}`);
    }
  }
  for (const k of ['blocked', 'dns', 'connect', 'ssl']) {
    if (k in t && (typeof t[k] !== 'number' || !Number.isFinite(t[k] as number))) {
      t[k] = -1;
      notes.add(`timings.${k} not a number: set to -1`, `${at}.timings.${k}`);
    }
  }
}

function normaliseRequest(r: Obj, at: string, notes: Notes): void {
  fillString(r, 'httpVersion', at, notes);
  fillArray(r, 'headers', at, notes);
  fillArray(r, 'cookies', at, notes);
  if (!Array.isArray(r.queryString)) {
    r.queryString = typeof r.url === 'string' ? queryOf(r.url) : [];
    notes.add('request.queryString missing: read from the URL', `${at}.queryString`);
  }
  fillSize(r, 'headersSize', at, notes);
  fillSize(r, 'bodySize', at, notes);
  normaliseNameValues(r, at, notes);
  if (r.postData !== undefined) {
    const p = r.postData;
    const emptyPost = p === null || (isObj(p) && !p.text && !(Array.isArray(p.params) && p.params.length));
    if (emptyPost && (r.method === 'GET' || r.method === 'HEAD')) {
      delete r.postData;
      notes.add(`empty postData on ${r.method}: dropped`, `${at}.postData`);
    } else if (isObj(p) && typeof p.mimeType !== 'string') {
      p.mimeType = headerValue(r.headers, 'content-type') ?? '';
      notes.add('postData.mimeType missing: taken from Content-Type', `${at}.postData.mimeType`);
    }
  }
}

function normaliseResponse(e: Obj, r: Obj, at: string, notes: Notes): void {
  if (r.status === 0) {
    // A blocked or failed request (no response) is kept for the record; the learner skips it.
    e._rfFailed = true;
    notes.add('entry without a response (status 0): kept, marked _rfFailed', at);
  }
  fillString(r, 'statusText', at, notes);
  fillString(r, 'httpVersion', at, notes);
  fillArray(r, 'headers', at, notes);
  fillArray(r, 'cookies', at, notes);
  fillSize(r, 'headersSize', at, notes);
  fillSize(r, 'bodySize', at, notes);
  if (typeof r.redirectURL !== 'string') {
    r.redirectURL = headerValue(r.headers, 'location') ?? '';
    notes.add('response.redirectURL missing or null: set from Location or ""', `${at}.redirectURL`);
  }
  if (!isObj(r.content)) {
    r.content = { size: 0, mimeType: '' };
    notes.add('response.content missing: set to empty', `${at}.content`);
  }
  const c = r.content as Obj;
  if (!isInt(c.size)) {
    c.size = typeof c.text === 'string' ? Buffer.byteLength(c.text, c.encoding === 'base64' ? 'base64' : 'utf8') : 0;
    notes.add('content.size missing: computed from the body', `${at}.content.size`);
  }
  if (typeof c.mimeType !== 'string') {
    c.mimeType = headerValue(r.headers, 'content-type') ?? '';
    notes.add('content.mimeType missing: taken from Content-Type', `${at}.content.mimeType`);
  }
  normaliseNameValues(r, at, notes);
}

/** Headers/cookies/params whose value is null or a number (some exporters) become strings; bad cookie dates go. */
function normaliseNameValues(r: Obj, at: string, notes: Notes): void {
  for (const list of ['headers', 'cookies', 'queryString'] as const) {
    const items = r[list];
    if (!Array.isArray(items)) continue;
    items.forEach((it, i) => {
      if (!isObj(it)) return;
      const p = `${at}.${list}[${i}]`;
      if (it.value === null || it.value === undefined || typeof it.value === 'number' || typeof it.value === 'boolean') {
        it.value = it.value == null ? '' : String(it.value);
        notes.add(`${list} value not a string: converted`, `${p}.value`);
      }
      if (list === 'cookies') normaliseCookie(it, p, notes);
    });
  }
}

function normaliseCookie(c: Obj, at: string, notes: Notes): void {
  if (c.expires !== undefined && c.expires !== null) {
    const raw = c.expires;
    if (typeof raw !== 'string' || !ISO_DATE_TIME.test(raw)) {
      const d = typeof raw === 'string' || typeof raw === 'number' ? new Date(raw) : new Date(NaN);
      if (Number.isNaN(d.getTime())) {
        delete c.expires;
        notes.add('cookie expires not a date: dropped', `${at}.expires`);
      } else {
        c.expires = d.toISOString();
        notes.add('cookie expires not ISO 8601: converted', `${at}.expires`);
      }
    }
  } else if (c.expires === null) {
    delete c.expires;
    notes.add('cookie expires null: dropped', `${at}.expires`);
  }
  for (const k of ['httpOnly', 'secure']) {
    if (k in c && typeof c[k] !== 'boolean') {
      if (c[k] == null) delete c[k];
      else c[k] = Boolean(c[k]);
      notes.add(`cookie ${k} not a boolean: fixed`, `${at}.${k}`);
    }
  }
}

function fillString(o: Obj, key: string, at: string, notes: Notes, value = ''): void {
  if (typeof o[key] === 'string') return;
  o[key] = o[key] == null ? value : String(o[key]);
  notes.add(`${key} missing or not a string: set`, `${at}.${key}`);
}

function fillArray(o: Obj, key: string, at: string, notes: Notes): void {
  if (Array.isArray(o[key])) return;
  if (o[key] == null) {
    o[key] = [];
    notes.add(`${key} missing: set to []`, `${at}.${key}`);
  }
}

function fillSize(o: Obj, key: string, at: string, notes: Notes): void {
  const v = o[key];
  if (isInt(v)) return;
  o[key] = typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : -1;
  notes.add(`${key} missing or not an integer: set`, `${at}.${key}`);
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (!Array.isArray(headers)) return undefined;
  const h = headers.find((x) => isObj(x) && typeof x.name === 'string' && x.name.toLowerCase() === name);
  return isObj(h) && typeof h.value === 'string' ? h.value : undefined;
}

function queryOf(url: string): Array<{ name: string; value: string }> {
  try {
    return [...new URL(url).searchParams].map(([name, value]) => ({ name, value }));
  } catch {
    return [];
  }
}

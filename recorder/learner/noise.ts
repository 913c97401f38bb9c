import type { Chain } from './chains.js';
import { header, type Exchange } from './exchange.js';

/**
 * Why a chain is not a step. Hard reasons drop it outright (never a step, never a value source);
 * soft reasons (`polling`, `third_party`) keep it as a possible value source, and it becomes a
 * step only when a kept step depends on it.
 */
export type HardNoise = 'static' | 'analytics' | 'preflight' | 'failed' | 'non_http' | 'websocket' | 'service_worker';
export type SoftNoise = 'polling' | 'third_party';

const STATIC_TYPES = new Set(['stylesheet', 'image', 'font', 'media', 'script', 'manifest', 'texttrack', 'imageset', 'img', 'css', 'js']);
const STATIC_EXT = /\.(css|js|mjs|cjs|map|png|jpe?g|gif|svg|ico|webp|avif|bmp|tiff?|woff2?|ttf|otf|eot|mp4|webm|mp3|wav|ogg|m4a|wasm|swf)$/i;
const STATIC_MIME = /^(text\/css|image\/|font\/|audio\/|video\/|application\/(x-)?(javascript|font-\w+|font|wasm|ecmascript)|text\/(java|ecma)script|application\/x-font)/;

/** Tracking, advertising, RUM and error-reporting hosts (suffix match on the host name). */
const ANALYTICS_HOSTS = [
  'google-analytics.com', 'googletagmanager.com', 'googletagservices.com', 'doubleclick.net', 'googlesyndication.com',
  'googleadservices.com', 'criteo.com', 'criteo.net', 'facebook.net', 'segment.io', 'segment.com', 'hotjar.com',
  'hotjar.io', 'scorecardresearch.com', 'quantserve.com', 'quantcount.com', 'nr-data.net', 'newrelic.com', 'mixpanel.com',
  'amplitude.com', 'fullstory.com', 'optimizely.com', 'adnxs.com', 'adsrvr.org', 'taboola.com', 'outbrain.com',
  'chartbeat.com', 'chartbeat.net', 'clarity.ms', 'mc.yandex.ru', 'demdex.net', 'omtrdc.net', 'adobedtm.com',
  'everesttech.net', 'rubiconproject.com', 'pubmatic.com', 'openx.net', 'casalemedia.com', 'moatads.com', 'krxd.net',
  'rlcdn.com', 'bluekai.com', 'addthis.com', 'sharethis.com', 'heapanalytics.com', 'cloudflareinsights.com',
  'plausible.io', 'sentry.io', 'bugsnag.com', 'bat.bing.com', 'ads.linkedin.com', 'analytics.twitter.com',
  'ads-twitter.com', 'analytics.tiktok.com', 'ct.pinterest.com', 'snap.licdn.com', 'cdn.mxpnl.com', 'branch.io',
  'appsflyer.com', 'adform.net', 'serving-sys.com', 'smartadserver.com', 'teads.tv', 'yieldlab.net', 'emxdgt.com',
  '2o7.net', 'omniture.com', 'agkn.com', 'tapad.com', 'mathtag.com', 'bidswitch.net', 'contextweb.com', 'gemius.pl', 'parsely.com', 'cxense.com',
];
/** Beacon endpoints by path, whatever the host (self-hosted analytics, first-party tracking). */
const ANALYTICS_SEGMENT = /^(collect|beacon|pixel|px|track|tracking|tracker|rum|log_event|matomo\.php|piwik\.php|analytics|ga-audiences)$|^[a-z]+[-_](track|tracking|beacon|pixel|collect)$/i;

export function hostMatches(host: string, suffixes: string[]): boolean {
  for (const s of suffixes) if (host === s || host.endsWith('.' + s)) return true;
  return false;
}

export function isAnalytics(ex: Exchange): boolean {
  const u = ex.url!;
  if (hostMatches(u.hostname, ANALYTICS_HOSTS)) return true;
  if ((u.hostname === 'facebook.com' || u.hostname.endsWith('.facebook.com')) && u.pathname.startsWith('/tr')) return true;
  if (u.hostname.endsWith('google.com') && u.pathname.startsWith('/ads/')) return true;
  if (u.pathname.startsWith('/b/ss/')) return true; // Adobe Analytics, often first-party
  const segments = u.pathname.split('/').filter(Boolean);
  if (segments.some((s) => ANALYTICS_SEGMENT.test(s))) return true;
  if (ex.resourceType === 'ping' || ex.resourceType === 'beacon' || ex.resourceType === 'csp_report') return true;
  // navigator.sendBeacon: a text/plain POST whose answer carries nothing.
  if (ex.method === 'POST' && /^text\/plain/i.test(ex.postMime) && (ex.status === 204 || !ex.body)) return true;
  return false;
}

export function isStatic(ex: Exchange): boolean {
  const u = ex.url!;
  if (STATIC_TYPES.has(ex.resourceType)) return true;
  if (STATIC_EXT.test(u.pathname)) return true;
  return (ex.method === 'GET' || ex.method === 'HEAD') && STATIC_MIME.test(ex.mime);
}

/** The hard reason a chain is noise, judged on its request and its final response. */
export function hardNoise(c: Chain, swDuplicates: Set<number>): HardNoise | null {
  const ex = c.head;
  if (!ex.url) return 'non_http';
  const proto = ex.url.protocol;
  if (proto === 'ws:' || proto === 'wss:' || c.final.status === 101 || ex.resourceType === 'websocket') return 'websocket';
  if (proto !== 'http:' && proto !== 'https:') return 'non_http';
  if (c.final.status <= 0) return 'failed';
  if (ex.method === 'OPTIONS') return 'preflight';
  if (swDuplicates.has(ex.index)) return 'service_worker';
  if (isAnalytics(ex)) return 'analytics';
  if (isStatic(ex)) return 'static';
  return null;
}

/** Entries flagged as served through a service worker that also appear on their own. */
export function serviceWorkerDuplicates(chains: Chain[]): Set<number> {
  const plain = new Set<string>();
  for (const c of chains) if (!c.head.viaServiceWorker) plain.add(c.head.method + ' ' + c.head.rawUrl);
  const out = new Set<number>();
  for (const c of chains) {
    const h = c.head;
    if (header(h.reqHeaders, 'service-worker') === 'script') out.add(h.index);
    else if (h.viaServiceWorker && plain.has(h.method + ' ' + h.rawUrl)) out.add(h.index);
  }
  return out;
}

/**
 * The site a host belongs to. IPs and localhost keep their port (a second server on another port
 * of 127.0.0.1 is another site); names reduce to the registrable domain, approximately.
 */
export function siteOf(u: URL): string {
  const host = u.hostname;
  if (host === 'localhost' || /^[\d.]+$/.test(host) || host.startsWith('[')) return u.host;
  const labels = host.split('.');
  if (labels.length <= 2) return host;
  const tld = labels[labels.length - 1]!;
  const second = labels[labels.length - 2]!;
  const keep = tld.length === 2 && second.length <= 3 ? 3 : 2;
  return labels.slice(-keep).join('.');
}

/** Bodies compare by a cheap fingerprint; without bodies, by status and size. */
export function fingerprint(ex: Exchange): string {
  const b = ex.body;
  if (b === undefined) return `${ex.status}:${ex.size}`;
  let h = 0;
  for (let i = 0; i < b.length; i++) h = (h * 31 + b.charCodeAt(i)) | 0;
  return `${ex.status}:${b.length}:${h}`;
}

/**
 * Soft noise: a GET repeated at least three times with the same answer (polling), and chains on
 * another site than the main one.
 */
export function softNoise(chains: Chain[], hard: Array<HardNoise | null>, mainSites: Set<string>): Array<SoftNoise | null> {
  const groups = new Map<string, Chain[]>();
  for (const c of chains) {
    // A page loaded again is a navigation, not polling.
    if (hard[c.pos] || c.head.method !== 'GET' || c.head.resourceType === 'document' || c.final.mime.includes('html')) continue;
    const key = c.head.url!.href;
    const g = groups.get(key);
    if (g) g.push(c);
    else groups.set(key, [c]);
  }
  const out: Array<SoftNoise | null> = chains.map((c) => (hard[c.pos] || mainSites.has(siteOf(c.head.url!)) ? null : 'third_party'));
  for (const g of groups.values()) {
    if (g.length < 3) continue;
    if (sameAnswers(g.map((c) => c.final))) for (const c of g) out[c.pos] ??= 'polling';
  }
  return out;
}

/**
 * The answers of a repeated GET agree. A response whose body was not recorded (size unknown and
 * no text: a poll still in flight when the recording stopped, or an exporter that keeps no bodies)
 * agrees with any answer of the same status; the others compare by fingerprint.
 */
function sameAnswers(answers: Exchange[]): boolean {
  const status = answers[0]!.status;
  let fp: string | undefined;
  for (const ex of answers) {
    if (ex.status !== status) return false;
    if (ex.body === undefined && ex.size < 0) continue;
    const f = fingerprint(ex);
    if (fp === undefined) fp = f;
    else if (f !== fp) return false;
  }
  return true;
}

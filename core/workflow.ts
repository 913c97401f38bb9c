/**
 * The Workflow model: what the learner (recorder/) produces and the replayer (replayer/) runs.
 * The two never import each other; they meet here. Stored as JSON in Redis, returned by the API.
 */
/**
 * 2: headers every step sends alike are stored once in `Workflow.headers`; workflow-format.ts
 * merges them back (stepHeaders) and migrates a version-1 workflow into this shape.
 */
export const WORKFLOW_SCHEMA_VERSION = 2;

/**
 * Text with `{{name}}` placeholders naming workflow variables. The replayer encodes a value for
 * where it lands: percent-encoding inside a URL, URLSearchParams for form fields, raw in headers.
 */
export type Template = string;

/** Where in an earlier response a value is found. */
export type Extractor =
  /** JSON body; path like `$.data.items[0].id` */
  | { type: 'json'; path: string }
  /** response header, lower-case name */
  | { type: 'header'; name: string }
  /** a cookie set by this response (Set-Cookie, redirects included) */
  | { type: 'set_cookie'; name: string }
  /** value of `input[name=…]` in an HTML body (hidden form fields) */
  | { type: 'html_input'; name: string }
  /** content of `meta[name=…]` (or property=…) in an HTML body */
  | { type: 'html_meta'; name: string }
  /** first match of a regular expression in the body text (inline JSON in scripts, …) */
  | { type: 'regex'; pattern: string; group: number }
  /** the redirect Location: whole, one query parameter, or one path segment (0-based) */
  | { type: 'location'; param?: string; segment?: number }
  /** the final URL of the response: whole, a query parameter, or a path segment */
  | { type: 'url'; param?: string; segment?: number };

export type Generator = 'uuid' | 'timestamp_ms' | 'timestamp_s' | 'iso_date' | 'nonce';

export type ValueSource =
  | { kind: 'input'; input: string }
  | { kind: 'extract'; step: string; extractor: Extractor }
  | { kind: 'generated'; generator: Generator; length?: number }
  | { kind: 'constant'; value: string };

export interface Variable {
  /** Unique in the workflow; what `{{name}}` refers to. */
  name: string;
  source: ValueSource;
  /** Applied to the source value before it is placed (the request carried an encoded form of it). */
  transform?: { encoding?: 'base64' | 'url'; prefix?: string; suffix?: string };
  /** The recorded value; absent when secret. */
  recorded?: string;
  secret: boolean;
  /** Plain words, e.g. `header X-CSRF-Token ← meta[name=csrf-token] in the response of step s3 (GET /app)`. */
  description: string;
}

export type StepBody =
  /** JSON; strings may hold placeholders; a string that is exactly `{{name}}` takes the value's own type */
  | { kind: 'json'; mimeType: string; template: unknown }
  | { kind: 'form'; mimeType: string; fields: Array<{ name: string; value: Template }> }
  | { kind: 'multipart'; mimeType: string; fields: Array<{ name: string; value: Template; fileName?: string; contentType?: string }> }
  | { kind: 'text'; mimeType: string; template: Template }
  | { kind: 'binary'; mimeType: string; base64: string };

export interface HeaderTemplate {
  name: string;
  value: Template;
}

export interface StepRequest {
  method: string;
  /** Absolute URL template. */
  url: Template;
  /**
   * Without Cookie (the jar sends cookies), Host, Content-Length or HTTP/2 pseudo-headers; and
   * without the workflow's common headers (`Workflow.headers`), which stepHeaders merges back in.
   */
  headers: HeaderTemplate[];
  body?: StepBody;
}

export interface StepExpectation {
  status: number;
  /** MIME type without parameters, e.g. `application/json`. */
  contentType?: string;
  /** For JSON: sorted key paths (two levels deep) of the recorded body, for drift detection. */
  jsonKeys?: string[];
  /** For HTML: the recorded `<title>`. */
  htmlTitle?: string;
  /** Path of the recorded redirect Location, when the step's final response was a redirect. */
  redirectTo?: string;
  /**
   * Output step only: inputs whose recorded value the recorded result showed (in its body, or
   * in the URL it redirected to). A run's result must show the run's value there, or the run
   * fails with outcome_mismatch: it did something else than asked.
   */
  shows?: Array<{ input: string; where: 'body' | 'url' }>;
}

export interface WorkflowStep {
  /** `s1`, `s2`, … in order. */
  id: string;
  /** e.g. `POST /login`. */
  description: string;
  request: StepRequest;
  /** Redirect hops recorded after this request and collapsed into it; the replayer follows up to this many (same origins). */
  redirects: number;
  /** POST/PUT/PATCH/DELETE: never sent twice in one run, even across a session repair. */
  stateChanging: boolean;
  /** Part of the session login (skipped while the session is healthy). */
  bootstrap: boolean;
  /**
   * Sending this state-changing step twice does no harm (the site dedupes it, e.g. by an
   * Idempotency-Key header, which implies it). Only then does a run whose worker died after
   * sending it send it again; otherwise the run reports outcome_unknown. Set with PATCH.
   */
  idempotent?: boolean;
  /**
   * A form submit: the step whose page served the form and the field names that page had when
   * recorded. A submit that fails on a page whose fields changed is drift (the site changed the
   * form), not a broken session.
   */
  form?: { page: string; fields: string[] };
  expect: StepExpectation;
}

export interface WorkflowInput {
  name: string;
  type: 'string' | 'number' | 'boolean';
  secret: boolean;
  /** False when a default exists (then a run with no inputs reproduces the recording). */
  required: boolean;
  /** The recorded value; absent for secrets. */
  default?: string | number | boolean;
  /** A secret's recorded value, sealed with core/secret-box (AES-256-GCM); never in clear. */
  defaultSealed?: string;
  /** e.g. `typed into input[name=username] on /login` or `query parameter q of step s4`. */
  description: string;
  origin: 'typed' | 'request';
}

export interface SessionSpec {
  /** Step ids that log in, in order. */
  bootstrapSteps: string[];
  /** Cookies the bootstrap sets that carry the session. */
  cookies: string[];
  /** Variables extracted by bootstrap steps; kept with the session and reused while it is healthy. */
  tokens: string[];
  /** Absolute URL of the login page; a redirect there means the session broke. */
  loginUrl?: string;
  /** Statuses that mean "session broken" (default 401, 403, 419, 440). */
  brokenStatuses: number[];
  /** Body patterns (regular expressions, case-insensitive) that mean "log in again" or a CSRF failure. */
  brokenPatterns: string[];
  /**
   * Cookies the browser sent that no response set (page JavaScript set them). Cookies are secrets:
   * the recorded value is kept sealed (`valueSealed`, core/secret-box); `value` is for callers
   * building a workflow by hand.
   */
  jsCookies: Array<{ name: string; value?: string; valueSealed?: string; domain: string; path: string }>;
  /** A bootstrap step carried a JS-set cookie: logging in needs a browser. */
  needsBrowser: boolean;
}

export type ActionType = 'goto' | 'click' | 'fill' | 'press' | 'select' | 'waitFor';

export interface Action {
  type: ActionType;
  selector?: string;
  url?: string;
  value?: string;
  key?: string;
  /** Name of the workflow input this typed value feeds (flagged as an input candidate). */
  input?: string;
  secret?: boolean;
  /** Page URL where the action happened. */
  pageUrl?: string;
  /** ms since the recording started. */
  at?: number;
}

export interface Workflow {
  id: string;
  name: string;
  schemaVersion: number;
  recordingId?: string;
  /** Its version: 1 as learned, one more with every change (see core/workflow-versions.ts). */
  version?: number;
  /** When the site changed and a run got through in the browser: promote a verified candidate (auto), keep it for a person (propose, the default), or learn nothing (off). */
  heal?: 'auto' | 'propose' | 'off';
  /** Where the workflow's events (falling back, healed, a candidate, a rejected heal) are POSTed, signed like run webhooks. */
  notify?: { webhook: string };
  createdAt: string;
  updatedAt: string;
  /** The only origins (scheme://host:port) a replay may contact. */
  origins: string[];
  /** Headers every step sends with the same value, stored once (schema version 2); absent when none. */
  headers?: HeaderTemplate[];
  steps: WorkflowStep[];
  variables: Variable[];
  inputs: WorkflowInput[];
  session: SessionSpec | null;
  /** Which step's response is the run's output. */
  output: { step: string };
  /** JSON Schema of the output body, inferred from the recorded response. */
  outputSchema?: Record<string, unknown>;
  /** The recorded actions (browser mode and browser repair replay them). */
  actions: Action[];
  startUrl?: string;
  /** What the learner could not trace or chose to leave out, in plain words. */
  notes: string[];
  stats: { entries: number; kept: number; dropped: Record<string, number> };
}

import { AppError, luaCommand, type ErrorDetail, type RedisStore, type SecretBox } from '../core/index.js';
import type { HttpResponse } from './http-client.js';

/** What the journal knows of one state-changing step (or of a browser run: field `browser`). */
export interface JournalEntry {
  state: 'sent' | 'answered';
  /** e.g. `s3 (POST /api/items)`. */
  what: string;
  /** Attempt of the run that wrote it. */
  attempt: number;
  at: number;
  /** The answer's status (answered entries). */
  status?: number;
  /** The answer, sealed (its body and cookies may hold secrets). */
  answer?: string;
}

interface StoredAnswer {
  status: number;
  url: string;
  contentType: string;
  location?: string;
  setCookie: string[];
  locations: string[];
  hopUrls: string[];
  body: string;
}

/** A journal outlives its run only by accident (a finished run's journal is deleted); Redis drops a forgotten one. */
const TTL_MS = 7 * 86_400_000;
export const BROWSER_FIELD = 'browser';
const CLAIM = luaCommand(import.meta.url, 'commands', 'journal-claim');

/**
 * The per-run step journal, one Redis hash per run (`journal:<runId>`), field = step id.
 * Written before a state-changing step is sent (HSETNX: exactly one execution of the run may
 * send it) and after its answer (sealed), like a durable-execution engine's activity history.
 * A run executed again after its worker died resumes from it: an answered step is not sent
 * again (its recorded answer is used), and a step sent but not answered is an unknown outcome.
 * Deleted once the finished run is stored (RunWorker).
 */
export class RunJournal {
  private readonly store: RedisStore;
  /** Writes not awaited (answers, withdrawals): awaited before the run ends. */
  private pending: Promise<unknown>[] = [];
  private failed?: Error;

  constructor(
    store: RedisStore,
    readonly runId: string,
    private readonly attempt: number,
    private readonly box: SecretBox,
  ) {
    this.store = store;
    this.key = RunJournal.key(store, runId);
  }

  readonly key: string;

  static key(store: RedisStore, runId: string): string {
    return store.key('journal', runId);
  }

  /**
   * Claims the right to send a state-changing step: undefined when this execution may send it
   * now, else what an earlier (or concurrent) execution of the run left. Throws redis_unavailable
   * when the claim cannot be written (then nothing is sent).
   */
  async claim(field: string, what: string): Promise<JournalEntry | undefined> {
    const entry: JournalEntry = { state: 'sent', what, attempt: this.attempt, at: Date.now() };
    try {
      const res = await this.store.eval<['claimed'] | ['taken', string]>(CLAIM, { journal: this.key }, { field, entryJson: JSON.stringify(entry), ttlMs: TTL_MS });
      return res[0] === 'claimed' ? undefined : (JSON.parse(res[1]) as JournalEntry);
    } catch (err) {
      // Said with what was not sent (the store's own redis_unavailable does not say it).
      if (err instanceof AppError && err.code !== 'redis_unavailable') throw err;
      throw new AppError('redis_unavailable', `Redis is not reachable: ${what} was not sent (its sending could not be journalled)`, { retryAfter: 5, cause: err });
    }
  }

  /** Overwrites an unknown entry: the step is declared idempotent and is sent again. */
  async reclaim(field: string, what: string): Promise<void> {
    const entry: JournalEntry = { state: 'sent', what, attempt: this.attempt, at: Date.now() };
    try {
      await this.store.call((r) => r.hset(this.key, field, JSON.stringify(entry)));
    } catch (err) {
      throw new AppError('redis_unavailable', `Redis is not reachable: ${what} was not sent (its sending could not be journalled)`, { retryAfter: 5, cause: err });
    }
  }

  /** The step was answered (and acted upon): its answer, sealed, replaces the claim. */
  answered(field: string, what: string, res: HttpResponse): void {
    const sc = res.headers['set-cookie'];
    const answer: StoredAnswer = {
      status: res.status,
      url: res.url,
      contentType: res.contentType,
      setCookie: sc === undefined ? [] : Array.isArray(sc) ? sc : [sc],
      locations: [...res.locations],
      hopUrls: [...res.hopUrls],
      body: res.body.toString('base64'),
    };
    const entry: JournalEntry = { state: 'answered', what, attempt: this.attempt, at: Date.now(), status: res.status, answer: this.box.seal(JSON.stringify(answer)) };
    this.track(this.store.call((r) => r.hset(this.key, field, JSON.stringify(entry))));
  }

  /** A browser run ended: it acted (no answer to keep; its result is the run's). */
  finished(field: string, what: string): void {
    const entry: JournalEntry = { state: 'answered', what, attempt: this.attempt, at: Date.now() };
    this.track(this.store.call((r) => r.hset(this.key, field, JSON.stringify(entry))));
  }

  /** The step certainly did not act (refused before it reached the site, 429/503, a login page): it may be sent again. */
  withdraw(field: string): void {
    this.track(this.store.call((r) => r.hdel(this.key, field)));
  }

  /** A recorded answer as the response the step would have got; `cookie` stores its cookies again. */
  answerOf(entry: JournalEntry, cookie: (setCookie: string, url: string) => void): HttpResponse {
    const a = JSON.parse(this.box.open(entry.answer!)) as StoredAnswer;
    for (const c of a.setCookie) cookie(c, a.url);
    return {
      status: a.status,
      headers: { 'content-type': a.contentType, ...(a.setCookie.length ? { 'set-cookie': a.setCookie } : {}) },
      url: a.url,
      body: Buffer.from(a.body, 'base64'),
      contentType: a.contentType,
      locations: a.locations,
      hopUrls: a.hopUrls,
      setCookies: new Map(),
    };
  }

  /** Waits for the writes not awaited; a lost one is an error (the next execution could not trust the journal). */
  async flush(): Promise<void> {
    const p = this.pending;
    this.pending = [];
    await Promise.all(p);
    if (this.failed) throw new AppError('redis_unavailable', 'Redis is not reachable: the run journal could not be written', { retryAfter: 5, cause: this.failed });
  }

  private track(p: Promise<unknown>): void {
    this.pending.push(
      p.catch((err: Error) => {
        this.failed ??= err;
      }),
    );
  }

  /** Every entry of a run's journal (for a run given up by the queue). */
  static async read(store: RedisStore, runId: string): Promise<Map<string, JournalEntry>> {
    const raw = await store.call((r) => r.hgetall(RunJournal.key(store, runId)));
    const out = new Map<string, JournalEntry>();
    for (const [k, v] of Object.entries(raw)) {
      try {
        out.set(k, JSON.parse(v) as JournalEntry);
      } catch {
        // A damaged entry says nothing.
      }
    }
    return out;
  }

  static async delete(store: RedisStore, runIds: string[]): Promise<void> {
    if (runIds.length) await store.call((r) => r.del(...runIds.map((id) => RunJournal.key(store, id))));
  }
}

/** The error of a run that stopped after it sent state-changing steps, from its journal; undefined when none went out. */
export function unknownOutcome(entries: Map<string, JournalEntry>, why: string): AppError | undefined {
  if (!entries.size) return undefined;
  const details: ErrorDetail[] = [...entries.entries()].map(([field, e]) => ({
    path: field === BROWSER_FIELD ? 'browser' : `steps.${field}`,
    message: e.state === 'answered' ? `${e.what} was sent and answered ${e.status ?? ''}: it acted`.replace(/ :/, ':') : `${e.what} was sent; its answer was not recorded: it may have acted`,
    state: e.state,
  }));
  const list = [...entries.values()].map((e) => e.what).join(', ');
  return new AppError('outcome_unknown', `${why} after it sent ${list}; not sent again, and what it did could not be verified`, { details: details });
}

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { AppError, type Workflow } from '../../core/index.js';
import type { RunResult } from '../../replayer/index.js';
import { CircuitBreaker, type CircuitState } from '../../replayer/circuit-breaker.js';
import { RunAbort } from '../../replayer/run-abort.js';
import { openReplayerEnv } from './env.js';

/** Lets pending promise callbacks and timers of 0 ms run. */
const tick = () => new Promise((r) => setImmediate(r));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether a promise settled yet, and how. */
function watch(p: Promise<void>) {
  const w: { settled: boolean; error?: unknown } = { settled: false };
  p.then(
    () => (w.settled = true),
    (err) => Object.assign(w, { settled: true, error: err }),
  );
  return w;
}

function waiter(deadlineMs = 60_000) {
  return new RunAbort(Date.now() + deadlineMs, () => new AppError('run_deadline_exceeded', 'deadline'));
}

describe('circuit breaker', () => {
  describe('state machine (fake clock)', () => {
    let now: number;
    let states: CircuitState[];
    let b: CircuitBreaker;
    const open = () => {
      b.failure('o');
      b.failure('o');
      expect(b.state('o')).to.equal('open');
    };
    beforeEach(() => {
      now = 1_000_000;
      states = [];
      b = new CircuitBreaker({ failureThreshold: 2, resetMs: 5000, maxResetMs: 30_000, clock: () => now, onState: (_o, s) => states.push(s) });
    });

    it('lets requests go without a promise while closed', () => {
      expect(b.enter('o')).to.equal(undefined);
      b.failure('o');
      expect(b.enter('o', waiter())).to.equal(undefined);
      b.success('o');
      expect(b.enter('o')).to.equal(undefined);
    });

    it('fails fast while open, with Retry-After the open time left', async () => {
      open();
      now += 1200;
      const err = await b.enter('o', waiter())!.then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(AppError);
      expect((err as AppError).code).to.equal('circuit_open');
      expect((err as AppError).retryAfter).to.equal(4);
      expect(() => b.check('o')).to.throw(/not contacting it/);
    });

    it('after resetMs the next request is the trial; those during it wait and go once it closes', async () => {
      open();
      now += 5000;
      await b.enter('o', waiter());
      expect(b.state('o')).to.equal('half_open');
      const waiting = Array.from({ length: 5 }, () => watch(b.enter('o', waiter())!));
      await tick();
      expect(waiting.map((w) => w.settled)).to.deep.equal([false, false, false, false, false]);
      b.success('o');
      await tick();
      expect(waiting.map((w) => [w.settled, w.error])).to.deep.equal(Array(5).fill([true, undefined]));
      expect(b.state('o')).to.equal('closed');
      expect(states).to.deep.equal(['open', 'half_open', 'closed']);
    });

    it('a failed trial opens again for twice as long and the waiters fail circuit_open; doubling stops at maxResetMs, a success resets it', async () => {
      open();
      const expectOpenFor = async (ms: number) => {
        now += ms - 1;
        await b.enter('o', waiter())!.then(
          () => expect.fail('should be open'),
          (e: AppError) => expect(e.code).to.equal('circuit_open'),
        );
        now += 1;
        await b.enter('o', waiter()); // the trial
        expect(b.state('o')).to.equal('half_open');
      };
      await expectOpenFor(5000);
      const w = watch(b.enter('o', waiter())!);
      b.failure('o');
      await tick();
      expect((w.error as AppError)?.code).to.equal('circuit_open');
      expect((w.error as AppError).retryAfter).to.equal(10);
      await expectOpenFor(10_000);
      b.failure('o');
      await expectOpenFor(20_000);
      b.failure('o');
      await expectOpenFor(30_000);
      b.failure('o');
      await expectOpenFor(30_000);
      b.success('o');
      open();
      await expectOpenFor(5000);
    });

    it('a waiter stops waiting when its run is aborted or its deadline passes', async () => {
      open();
      now += 5000;
      await b.enter('o', waiter());
      const cancelled = waiter();
      const w1 = watch(b.enter('o', cancelled)!);
      const w2 = watch(b.enter('o', waiter(30))!);
      cancelled.abort(new AppError('run_deadline_exceeded', 'cancelled by the caller'));
      await tick();
      expect((w1.error as Error)?.message).to.equal('cancelled by the caller');
      expect(w2.settled).to.equal(false);
      await sleep(60);
      expect((w2.error as AppError)?.code).to.equal('run_deadline_exceeded');
      expect(b.state('o')).to.equal('half_open');
    });

    it('a trial whose run is aborted hands the trial to a waiter', async () => {
      open();
      now += 5000;
      const holder = waiter();
      await b.enter('o', holder);
      const w = watch(b.enter('o', waiter())!);
      await tick();
      expect(w.settled).to.equal(false);
      holder.expire();
      await tick();
      expect(w.settled).to.equal(true);
      expect(w.error).to.equal(undefined);
      expect(b.state('o')).to.equal('half_open');
      // That waiter is the trial now: others wait for it.
      const next = watch(b.enter('o', waiter())!);
      await tick();
      expect(next.settled).to.equal(false);
      b.success('o');
      await tick();
      expect(next.settled && next.error === undefined).to.equal(true);
    });

    it('a trial that never answers is given up after trialTimeoutMs', async () => {
      b = new CircuitBreaker({ failureThreshold: 1, resetMs: 0, trialTimeoutMs: 40, clock: () => now });
      b.failure('o');
      await b.enter('o'); // the trial, never answered
      const w = watch(b.enter('o', waiter())!);
      await sleep(10);
      expect(w.settled).to.equal(false);
      await sleep(60);
      expect(w.settled && w.error === undefined).to.equal(true);
    });

    it('only evidence moves it: a late failure while open keeps the open period, a success closes', async () => {
      open();
      now += 4000;
      b.failure('o'); // a request sent before it opened
      now += 1000;
      await b.enter('o', waiter());
      expect(b.state('o')).to.equal('half_open');
      b.success('o');
      expect(b.state('o')).to.equal('closed');
      b.failure('o');
      expect(b.state('o')).to.equal('closed');
    });

    it('check() keeps failing fast during the trial (no wait)', () => {
      open();
      now += 5000;
      b.check('o');
      expect(() => b.check('o')).to.throw(/trial request is under way/);
    });

    it('validates its options', () => {
      expect(() => new CircuitBreaker({ failureThreshold: 0 })).to.throw(/failureThreshold/);
      expect(() => new CircuitBreaker({ resetMs: -1 })).to.throw(/resetMs/);
      expect(() => new CircuitBreaker({ resetMs: 10_000, maxResetMs: 5000 })).to.throw(/maxResetMs/);
      expect(() => new CircuitBreaker({ trialTimeoutMs: 0 })).to.throw(/trialTimeoutMs/);
      expect(() => new CircuitBreaker({ resetMs: 120_000 })).not.to.throw();
    });
  });

  describe('end to end: a loopback site goes down and comes back', function () {
    this.timeout(60_000);
    let env: Awaited<ReturnType<typeof openReplayerEnv>>;
    let server: Server | undefined;
    let port = 0;
    let hits = 0;
    let answered = 0;
    /** Per request, how many requests had been answered when it arrived. */
    let arrivals: number[] = [];

    const up = () =>
      new Promise<void>((resolve) => {
        server = createServer((_req, res) => {
          hits++;
          arrivals.push(answered);
          // Slow enough that the other runs come while the trial is in flight.
          setTimeout(() => {
            answered++;
            res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
          }, 150);
        });
        server.listen(port, '127.0.0.1', () => {
          port = (server!.address() as AddressInfo).port;
          resolve();
        });
      });
    const down = async () => {
      const s = server!;
      server = undefined;
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    };

    function pingWorkflow(url: string): Workflow {
      const now = new Date().toISOString();
      return {
        id: `wf_ping_${Math.random().toString(16).slice(2, 10)}`,
        name: 'ping',
        schemaVersion: 1,
        createdAt: now,
        updatedAt: now,
        origins: [url],
        steps: [
          {
            id: 's1',
            description: 'GET /ping',
            request: { method: 'GET', url: `${url}/ping`, headers: [{ name: 'accept', value: 'application/json' }] },
            redirects: 0,
            stateChanging: false,
            bootstrap: false,
            expect: { status: 200, contentType: 'application/json', jsonKeys: ['ok'] },
          },
        ],
        variables: [],
        inputs: [],
        session: null,
        output: { step: 's1' },
        actions: [],
        notes: [],
        stats: { entries: 1, kept: 1, dropped: {} },
      };
    }

    before(async () => {
      env = await openReplayerEnv('circuit-e2e');
    });
    after(async () => {
      if (server) await down();
      await env?.close();
    });
    beforeEach(async () => {
      port = 0;
      await up();
      hits = 0;
      answered = 0;
      arrivals = [];
    });
    afterEach(async () => {
      if (server) await down();
    });

    const codes = (runs: RunResult[]) => runs.map((r) => r.error?.code ?? r.status);

    it('fails fast while open; once the site is back and the reset time passed, six concurrent runs all succeed (they wait for the trial)', async () => {
      const resetMs = 400;
      const replayer = env.replayer({ retries: { attempts: 1 }, breaker: { failureThreshold: 2, resetMs } });
      const wf = pingWorkflow(`http://127.0.0.1:${port}`);
      expect((await replayer.run(wf, { mode: 'http' })).status).to.equal('succeeded');

      await down();
      expect(codes([await replayer.run(wf, { mode: 'http' }), await replayer.run(wf, { mode: 'http' })])).to.deep.equal(['target_unreachable', 'target_unreachable']);
      const openedAt = Date.now();
      const fast = await replayer.run(wf, { mode: 'http' });
      expect(fast.error?.code).to.equal('circuit_open');
      expect(fast.durationMs).to.be.lessThan(100);

      await up();
      hits = 0;
      answered = 0;
      arrivals = [];
      // Still open: not contacted although it is back.
      const stillOpen = await replayer.run(wf, { mode: 'http' });
      expect(stillOpen.error?.code).to.equal('circuit_open');
      expect(hits).to.equal(0);

      await sleep(Math.max(0, openedAt + resetMs + 50 - Date.now()));
      const runs = await Promise.all(Array.from({ length: 6 }, () => replayer.run(wf, { mode: 'http' })));
      expect(codes(runs)).to.deep.equal(Array(6).fill('succeeded'));
      expect(hits).to.equal(6);
      // The trial went alone; the five others were sent once it had been answered.
      expect(arrivals).to.deep.equal([0, 1, 1, 1, 1, 1]);
    });

    it('a trial that fails again: the runs that waited for it fail circuit_open without contacting the site', async () => {
      const resetMs = 300;
      const replayer = env.replayer({ retries: { attempts: 1 }, breaker: { failureThreshold: 1, resetMs } });
      const wf = pingWorkflow(`http://127.0.0.1:${port}`);
      await down();
      expect((await replayer.run(wf, { mode: 'http' })).error?.code).to.equal('target_unreachable');
      await sleep(resetMs + 50);
      const runs = await Promise.all(Array.from({ length: 6 }, () => replayer.run(wf, { mode: 'http' })));
      const c = codes(runs);
      expect(c.filter((x) => x === 'target_unreachable')).to.have.length(1);
      expect(c.filter((x) => x === 'circuit_open')).to.have.length(5);
      // Open twice as long now: still open after the first reset time.
      await up();
      await sleep(resetMs + 50);
      expect((await replayer.run(wf, { mode: 'http' })).error?.code).to.equal('circuit_open');
      await sleep(resetMs + 100);
      expect((await replayer.run(wf, { mode: 'http' })).status).to.equal('succeeded');
    });
  });
});

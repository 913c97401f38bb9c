import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A `replayfarm` CLI process (`node --import tsx server/cli.ts …`) started by a test. */
export class CliProcess {
  readonly proc: ChildProcess;
  private out = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly name: string,
    args: string[],
    env: Record<string, string>,
  ) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer) => {
      // the tail is enough to explain a failure
      this.out = (this.out + d.toString()).slice(-20_000);
    };
    this.proc.stdout!.on('data', keep);
    this.proc.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** What the process printed (stdout and stderr, the last 20 kB). */
  output(): string {
    return this.out;
  }

  /** Resolves with the first match of `re` in the output; rejects if the process exits or `timeoutMs` passes first. */
  waitFor(re: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = this.out.match(re);
        if (!m) return false;
        cleanup();
        resolve(m);
        return true;
      };
      const onData = () => check();
      const onExit = () => {
        cleanup();
        reject(new Error(`${this.name} exited before printing ${re}:\n${this.out}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.name} did not print ${re} within ${timeoutMs} ms:\n${this.out}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.proc.stdout!.off('data', onData);
        this.proc.stderr!.off('data', onData);
        this.proc.off('exit', onExit);
      };
      this.proc.stdout!.on('data', onData);
      this.proc.stderr!.on('data', onData);
      this.proc.once('exit', onExit);
      if (!this.alive) onExit();
      else check();
    });
  }

  /** Sends `signal` and waits for the exit; SIGTERM falls back to SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.alive) {
      this.proc.kill(signal);
      if (signal !== 'SIGKILL') {
        const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
        await this.exited;
        clearTimeout(timer);
      }
    }
    return this.exited;
  }
}

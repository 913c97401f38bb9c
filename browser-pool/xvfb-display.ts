import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { AppError, type Logger } from '../core/index.js';

/**
 * An Xvfb server for headed browsers when the machine has no DISPLAY. `-displayfd` lets Xvfb
 * pick a free display number itself (it takes the lock file atomically, so two pools or two
 * processes never race for `:N`) and tells us when it is ready to accept clients.
 */
export class XvfbDisplay {
  private proc: ChildProcess | undefined;
  private display: string | undefined;
  private starting: Promise<string> | undefined;

  constructor(private readonly opts: { logger: Logger; executable?: string; screen?: string; startTimeoutMs?: number }) {}

  /** Starts Xvfb once; resolves to the DISPLAY value (`:N`). */
  start(): Promise<string> {
    this.starting ??= this.launch().catch((err: unknown) => {
      this.starting = undefined;
      throw err;
    });
    return this.starting;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  private launch(): Promise<string> {
    const exe = this.opts.executable ?? 'Xvfb';
    const args = ['-displayfd', '3', '-screen', '0', this.opts.screen ?? '1280x800x24', '-nolisten', 'tcp'];
    return new Promise<string>((resolve, reject) => {
      const proc = spawn(exe, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
      this.proc = proc;
      let stderr = '';
      let out = '';
      const fail = (why: string) => {
        clearTimeout(timer);
        proc.kill('SIGKILL');
        reject(new AppError('browser_error', `Xvfb did not start (${why}); install it with "apt-get install -y xvfb" or set DISPLAY`));
      };
      const timer = setTimeout(() => fail('no display after ' + (this.opts.startTimeoutMs ?? 10_000) + ' ms'), this.opts.startTimeoutMs ?? 10_000);
      proc.on('error', (err) => fail(err.message));
      proc.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-2000);
      });
      let ready = false;
      proc.on('exit', (code, signal) => {
        if (!ready) fail(`exited with ${code ?? signal}: ${stderr.trim().split('\n').pop() ?? ''}`);
        else if (this.proc === proc) this.opts.logger.warn('xvfb exited', { display: this.display, code, signal });
        if (this.proc === proc) {
          this.proc = undefined;
          this.starting = undefined;
          this.display = undefined;
        }
      });
      (proc.stdio[3] as Readable).on('data', (d: Buffer) => {
        out += d.toString();
        if (!out.includes('\n') || this.display !== undefined) return;
        clearTimeout(timer);
        ready = true;
        this.display = ':' + out.trim();
        this.opts.logger.info('xvfb started', { display: this.display, pid: proc.pid });
        resolve(this.display);
      });
    });
  }

  /** Stops Xvfb (SIGTERM, then SIGKILL after 3 s) and waits for it to exit. */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    this.starting = undefined;
    this.display = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}

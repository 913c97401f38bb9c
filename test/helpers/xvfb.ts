import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** An Xvfb of a test's own; Xvfb picks a free display itself (-displayfd). */
export class Xvfb {
  private proc?: ChildProcess;
  display = '';

  async start(): Promise<string> {
    const proc = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    const fd3 = proc.stdio[3] as NodeJS.ReadableStream;
    const n = await new Promise<string>((resolve, reject) => {
      let buf = '';
      fd3.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('\n')) resolve(buf.trim());
      });
      proc.once('exit', (code) => reject(new Error(`Xvfb exited with ${code}`)));
    });
    this.display = `:${n}`;
    return this.display;
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    proc.kill('SIGTERM');
    await once(proc, 'exit');
  }
}

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RedisServer, freePort } from './redis-server.js';

const run = promisify(execFile);

/** A throw-away Redis Cluster of three masters on loopback ports, each in a temp dir of its own. */
export class RedisCluster {
  readonly nodes: RedisServer[] = [];
  private readonly dirs: string[] = [];

  /** `redis+cluster://` URL naming the first node (the client discovers the others). */
  get url(): string {
    return `redis+cluster://127.0.0.1:${this.nodes[0]!.port}`;
  }

  async start(count = 3): Promise<void> {
    for (let i = 0; i < count; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'rf-cluster-'));
      this.dirs.push(dir);
      const node = new RedisServer(await freePort(), undefined, ['--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-node-timeout', '2000']);
      this.nodes.push(node);
    }
    await Promise.all(this.nodes.map((n) => n.start()));
    await run('redis-cli', ['--cluster', 'create', ...this.nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    await this.waitOk();
  }

  /** Until every node says `cluster_state:ok` (slots assigned and known everywhere), at most 20 s. */
  private async waitOk(): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const states = await Promise.all(this.nodes.map(async (n) => (await run('redis-cli', ['-p', String(n.port), 'cluster', 'info'])).stdout));
      if (states.every((s) => s.includes('cluster_state:ok'))) return;
      if (Date.now() > deadline) throw new Error(`cluster not ok after 20 s:\n${states.join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}

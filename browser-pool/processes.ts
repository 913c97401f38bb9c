import { readdirSync, readFileSync } from 'node:fs';

export interface BrowserProcess {
  pid: number;
  ppid: number;
  /** Process group: each browser is launched as its own group, so pgid = the browser's main pid. */
  pgid: number;
  rssBytes: number;
  /** The browser's main process (carries `--replayfarm-pool=<marker>` on its command line). */
  main: boolean;
}

const PAGE_SIZE = 4096;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process exited while we looked
  }
}

interface Raw {
  pid: number;
  ppid: number;
  pgid: number;
  rssBytes: number;
  cmdline: string;
}

function scan(): Raw[] {
  const out: Raw[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = read(`/proc/${name}/stat`);
    const cmdline = read(`/proc/${name}/cmdline`);
    if (stat === undefined || cmdline === undefined) continue;
    // Fields after the parenthesised command name: state ppid pgrp session … rss is field 24 overall.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.push({ pid: Number(name), ppid: Number(rest[1]), pgid: Number(rest[2]), rssBytes: Number(rest[21]) * PAGE_SIZE, cmdline });
  }
  return out;
}

/**
 * The processes of a pool's browsers (Linux /proc): every process in the process group of a
 * browser launched with `--replayfarm-pool=<marker>`, plus helpers that kept the pool's
 * environment marker (Chromium's crash handlers re-parent to init and keep the environment;
 * the zygote and renderers drop it but stay in the browser's process group).
 */
export function poolProcesses(marker: string): BrowserProcess[] {
  const procs = scan();
  const arg = `--replayfarm-pool=${marker}\0`;
  const env = `REPLAYFARM_POOL=${marker}\0`;
  const groups = new Set<number>();
  const mains = new Set<number>();
  for (const p of procs) {
    if (p.cmdline.includes(arg)) {
      mains.add(p.pid);
      groups.add(p.pgid);
    }
  }
  const result: BrowserProcess[] = [];
  for (const p of procs) {
    const inGroup = groups.has(p.pgid);
    if (!inGroup && !(read(`/proc/${p.pid}/environ`) ?? '').includes(env)) continue;
    result.push({ pid: p.pid, ppid: p.ppid, pgid: p.pgid, rssBytes: p.rssBytes, main: mains.has(p.pid) });
  }
  return result;
}

/** The pid of the process whose command line carries exactly `arg`, if any. */
export function findProcessByArg(arg: string): number | undefined {
  const needle = `${arg}\0`;
  for (const p of scan()) if (p.cmdline.includes(needle)) return p.pid;
  return undefined;
}

/** Whether any process of process group `pgid` is alive (zombies included). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';

const exec = promisify(execFile);

export interface CurlExample {
  command: string;
  expect: string;
}

/** The curl lines of a Markdown text's ```sh blocks, each with the `# → …` line after it. */
export function curlExamples(markdown: string): CurlExample[] {
  const out: CurlExample[] = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const lines = block[1]!.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (!line.startsWith('curl ')) continue;
      const next = lines[i + 1]?.trim() ?? '';
      const m = /^# → (.*)$/.exec(next);
      if (!m) throw new Error(`README curl line without a "# → expected" line after it: ${line}`);
      out.push({ command: line, expect: m[1]! });
    }
  }
  return out;
}

/** A JSON subset check: every key of `want` is in `got` with an equal (or, for objects, subset) value. */
export function expectSubset(got: unknown, want: unknown, path = '$'): void {
  if (want !== null && typeof want === 'object' && !Array.isArray(want)) {
    expect(got, path).to.be.an('object');
    for (const [k, v] of Object.entries(want)) expectSubset((got as Record<string, unknown>)[k], v, `${path}.${k}`);
  } else if (Array.isArray(want)) {
    expect(got, path).to.be.an('array');
    want.forEach((v, i) => expectSubset((got as unknown[])[i], v, `${path}[${i}]`));
  } else {
    expect(got, path).to.equal(want);
  }
}

/** Runs a curl line in bash with `env`, and checks its output against the `# →` expectation. */
export async function runCurlExample(ex: CurlExample, env: Record<string, string>, cwd: string): Promise<string> {
  const { stdout } = await exec('bash', ['-c', ex.command], { env: { ...process.env, ...env }, cwd, maxBuffer: 20 * 1024 * 1024 });
  const want = ex.expect.replace(/\$(\w+)/g, (_, k: string) => env[k] ?? `$${k}`);
  if (want.startsWith('{')) {
    let got: unknown;
    try {
      got = JSON.parse(stdout);
    } catch {
      throw new Error(`${ex.command}\n  did not answer JSON: ${stdout.slice(0, 300)}`);
    }
    expectSubset(got, JSON.parse(want));
  } else {
    expect(stdout, ex.command).to.include(want);
  }
  return stdout;
}

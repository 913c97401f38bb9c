import { readFileSync, existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parse } from 'yaml';
import { CONFIG_VARS, loadConfig } from '../../core/index.js';
import { COMMANDS } from '../../server/cli-spec.js';
import { dockerStages } from './dockerfile.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Service {
  build?: string;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, unknown>;
  volumes?: string[];
  ports?: string[];
  expose?: string[];
}

/** Values for `${VAR:?…}` (required at `docker compose up`): what an operator would set. */
const REQUIRED_SAMPLES: Record<string, string> = { SECRET_KEY: 'ab'.repeat(32) };

/** Compose's interpolation as `docker compose up` does it with an empty shell environment. */
function interpolate(value: string): string {
  return String(value).replace(/\$\{(\w+)(?::?([-?])([^}]*))?\}/g, (_m, name: string, op?: string, arg?: string) => {
    if (op === '?') {
      expect(REQUIRED_SAMPLES, `a sample value for required ${name}`).to.have.property(name);
      return REQUIRED_SAMPLES[name]!;
    }
    return op === '-' ? (arg ?? '') : '';
  });
}

/**
 * compose.yaml checked as far as it can be without a Docker engine: each replayfarm service runs a
 * command the CLI has, with flags it accepts; its environment names variables of the config table
 * with values that table accepts (on top of the image's ENV); its health check probes the port
 * that command listens on; and Prometheus scrapes the ports the services really serve /metrics on.
 */
describe('ops: compose.yaml agrees with the CLI, the config table and the image', () => {
  const compose = parse(readFileSync(`${root}compose.yaml`, 'utf8')) as { services: Record<string, Service> };
  const services = compose.services;
  const runtime = dockerStages(readFileSync(`${root}Dockerfile`, 'utf8')).get('runtime')!;
  const imageEnv: Record<string, string> = {};
  for (const i of runtime.filter((x) => x.op === 'ENV')) for (const m of i.args.matchAll(/(\w+)=(\S+)/g)) imageEnv[m[1]!] = m[2]!;
  const ours = Object.entries(services).filter(([, s]) => s.build === '.');
  const configOf = (s: Service) => loadConfig({ ...imageEnv, ...Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(v)])) });
  const healthPort = (s: Service) => {
    const probe = s.healthcheck!.test.join(' ');
    const m = /http:\/\/127\.0\.0\.1:(\d+)\/healthz/.exec(probe);
    expect(m, probe).to.not.equal(null);
    return Number(m![1]);
  };

  it('runs an API without a worker and a scalable worker', () => {
    expect(ours.map(([name, s]) => `${name}: ${s.command!.join(' ')}`)).to.deep.equal(['api: serve --no-worker', 'worker: worker']);
  });

  it("each replayfarm service's command and flags are the CLI's", () => {
    for (const [name, s] of ours) {
      const [command, ...args] = s.command!;
      expect(COMMANDS, name).to.have.property(command!);
      const spec = COMMANDS[command!]!;
      expect(() => parseArgs({ args, options: spec.options, allowPositionals: spec.positionals !== undefined, strict: true }), name).not.to.throw();
    }
  });

  it('each environment names configuration variables, with values the config table accepts', () => {
    const known = new Set(CONFIG_VARS.map((v) => v.env));
    for (const [name, s] of ours) {
      for (const key of Object.keys(s.environment ?? {})) expect(known.has(key), `${name}: ${key} is not in core/config.ts`).to.equal(true);
      expect(() => configOf(s), name).not.to.throw();
    }
    for (const key of Object.keys(imageEnv)) if (key !== 'NODE_ENV') expect(known.has(key), `Dockerfile ENV ${key}`).to.equal(true);
  });

  it("each service has a health check; replayfarm's probe the port their command serves /healthz on", () => {
    for (const [name, s] of Object.entries(services)) expect(s.healthcheck?.test, name).to.be.an('array').that.is.not.empty;
    const [, api] = ours.find(([, s]) => s.command![0] === 'serve')!;
    const [, worker] = ours.find(([, s]) => s.command![0] === 'worker')!;
    expect(healthPort(api)).to.equal(configOf(api).port);
    expect(configOf(worker).workerHttpPort, 'the worker needs its listener').to.be.greaterThan(0);
    expect(healthPort(worker)).to.equal(configOf(worker).workerHttpPort);
  });

  it('Prometheus scrapes the API and the workers where they serve /metrics; mounted files exist', () => {
    const prom = parse(readFileSync(`${root}deploy/prometheus.yml`, 'utf8')) as {
      scrape_configs: { job_name: string; metrics_path?: string; static_configs?: { targets: string[] }[]; dns_sd_configs?: { names: string[]; port: number }[] }[];
    };
    const [, api] = ours.find(([, s]) => s.command![0] === 'serve')!;
    const [, worker] = ours.find(([, s]) => s.command![0] === 'worker')!;
    const jobs = Object.fromEntries(prom.scrape_configs.map((j) => [j.job_name, j]));
    expect(jobs['replayfarm-api']!.static_configs![0]!.targets).to.deep.equal([`api:${configOf(api).port}`]);
    expect(jobs['replayfarm-worker']!.dns_sd_configs![0]).to.deep.include({ names: ['worker'], port: configOf(worker).workerHttpPort });
    for (const [name, s] of Object.entries(services)) {
      for (const dep of Object.keys(s.depends_on ?? {})) expect(services, `${name} depends on ${dep}`).to.have.property(dep);
      for (const v of s.volumes ?? []) if (v.startsWith('./')) expect(existsSync(`${root}${v.split(':')[0]!.slice(2)}`), `${name}: ${v}`).to.equal(true);
    }
  });
});

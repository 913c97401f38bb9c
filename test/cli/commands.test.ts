import { expect } from 'chai';
import type { Run } from '../../core/index.js';
import { startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';
import { testPrefix } from '../helpers/prefix.js';
import { runCli, seedFixtureWorkflow } from './cli-helpers.js';

/** The CLI's own answers (help, version, bad flags) and `run` leaving its Run in the history. */
describe('CLI: commands, help and bad input', function () {
  this.timeout(120_000);

  it('help, per-command --help and --version answer on stdout with exit 0', async () => {
    const help = await runCli(['help']);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.match(/^usage: replayfarm <command>/);
    const runHelp = await runCli(['run', '--help']);
    expect(runHelp.code).to.equal(0);
    expect(runHelp.stdout).to.match(/^usage: replayfarm run <workflow-id>/);
    expect(runHelp.stdout).to.include('--session NAME');
    expect((await runCli(['help', 'worker'])).stdout).to.include('WORKER_HTTP_PORT');
    const version = await runCli(['--version']);
    expect(version.code).to.equal(0);
    expect(version.stdout.trim()).to.match(/^replayfarm \d+\.\d+\.\d+$/);
  });

  it('an unknown flag, command or argument gets one sentence in its own words and exit 2', async () => {
    const flag = await runCli(['run', 'wf_x', '--bogus']);
    expect(flag.code).to.equal(2);
    expect(flag.stderr.trim()).to.equal('replayfarm: run has no option --bogus (see: replayfarm run --help)');
    const top = await runCli(['--bogus']);
    expect(top.code).to.equal(2);
    expect(top.stderr).to.match(/^replayfarm: unknown option --bogus \(see: replayfarm help\)/);
    const cmd = await runCli(['frobnicate']);
    expect(cmd.code).to.equal(2);
    expect(cmd.stderr).to.match(/^replayfarm: unknown command "frobnicate"/);
    const extra = await runCli(['workflows', 'surplus']);
    expect(extra.code).to.equal(2);
    expect(extra.stderr).to.include('workflows takes no arguments');
    const missing = await runCli(['run', 'wf_x', '--mode']);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.include('--mode');
    for (const r of [flag, top, cmd, extra, missing]) expect(r.stderr).not.to.match(/\n\s+at /); // no stack trace
  });

  describe('replayfarm run', () => {
    let site: FixtureSite;
    let seeded: Awaited<ReturnType<typeof seedFixtureWorkflow>>;
    const prefix = testPrefix('cli-run');
    const env = { KEY_PREFIX: prefix, ALLOW_LOOPBACK_TARGETS: 'true', LOG_LEVEL: 'warn' };

    before(async () => {
      site = await startFixtureSite();
      seeded = await seedFixtureWorkflow(prefix, site.url);
    });
    after(async () => {
      await seeded?.close();
      await site?.close();
    });

    it('stores its Run in the workflow history (secret inputs left out), as the API lists it', async () => {
      const res = await runCli(['run', seeded.wf.id, '--input', 'title=from the cli', '--input', 'password=s3cret-pass', '--mode', 'http', '--json'], { env });
      expect(res.code, res.stderr).to.equal(0);
      const printed = JSON.parse(res.stdout) as Run;
      expect(printed).to.include({ workflowId: seeded.wf.id, status: 'succeeded', mode: 'http', requestedMode: 'http' });
      const stored = await seeded.store.get<Run>('run', printed.id);
      expect(stored).to.deep.include({ id: printed.id, status: 'succeeded', inputs: { title: 'from the cli' } });
      expect(JSON.stringify(stored)).not.to.include('s3cret-pass');
      const history = await seeded.store.list<Run>('run', { index: `runs:${seeded.wf.id}` });
      expect(history.map((r) => r.id)).to.include(printed.id);
      const listed = await runCli(['runs', seeded.wf.id], { env });
      expect(listed.code, listed.stderr).to.equal(0);
      expect(listed.stdout).to.match(new RegExp(`^${printed.id}\\t.*\\tsucceeded\\thttp\\t`, 'm'));
    });

    it('a workflow that is not there names the KEY_PREFIX it looked under', async () => {
      const res = await runCli(['run', 'wf_nothere', '--mode', 'http'], { env });
      expect(res.code).to.equal(1);
      expect(res.stderr).to.include(`not_found: no workflow with id wf_nothere under KEY_PREFIX=${prefix}`);
    });
  });
});

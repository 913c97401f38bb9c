import { expect } from 'chai';
import { AppError } from '../../core/index.js';
import { launchOptions, resolveExecutable, SYSTEM_CHROMIUM } from '../../browser-pool/index.js';

describe('browser-pool: launch options', () => {
  it('uses a configured executable that exists', () => {
    expect(resolveExecutable(SYSTEM_CHROMIUM)).to.equal(SYSTEM_CHROMIUM);
  });

  it('falls back to an installed Chromium when none is configured', () => {
    // Playwright's own download is absent on this machine, so Debian's Chromium is found.
    expect(resolveExecutable()).to.equal(SYSTEM_CHROMIUM);
    expect(resolveExecutable('')).to.equal(SYSTEM_CHROMIUM);
  });

  it('a configured path that does not exist is an error naming it and what to install', () => {
    let err: unknown;
    try {
      resolveExecutable('/opt/nothing/chrome');
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(AppError);
    expect((err as AppError).code).to.equal('browser_not_found');
    expect((err as AppError).message).to.include('/opt/nothing/chrome').and.include('apt-get install -y chromium');
  });

  it('carries the flags this machine needs', () => {
    const o = launchOptions({ executablePath: SYSTEM_CHROMIUM });
    expect(o.executablePath).to.equal(SYSTEM_CHROMIUM);
    expect(o.headless).to.equal(true);
    expect(o.args).to.include.members(['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage']);
    expect(o.args!.includes('--no-sandbox')).to.equal(process.getuid?.() === 0);
    expect(launchOptions({ headed: true }).headless).to.equal(false);
  });
});

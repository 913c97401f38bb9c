import { PassThrough } from 'node:stream';
import { createLogger, type Config } from '../../core/index.js';
import { Replayfarm, type ReplayfarmOptions } from '../../server/replayfarm.js';
import { testPrefix } from './prefix.js';

export interface TestApp {
  rf: Replayfarm;
  url: string;
  /** Every log line the app wrote (JSON), to check ids and redaction. */
  logs(): string;
  close(): Promise<void>;
}

/** A real Replayfarm on a random loopback port with a key prefix of its own; close() cleans Redis. */
export async function startTestApp(config: Partial<Config> = {}, opts: Omit<ReplayfarmOptions, 'config'> = {}): Promise<TestApp> {
  const stream = new PassThrough();
  let logText = '';
  stream.on('data', (d: Buffer) => (logText += d.toString()));
  const rf = new Replayfarm({
    env: {},
    logger: createLogger({ format: 'json', level: 'debug', stream }),
    ...opts,
    config: { port: 0, host: '127.0.0.1', keyPrefix: testPrefix('app'), allowLoopback: true, ...config },
  });
  const url = await rf.listen();
  return {
    rf,
    url,
    logs: () => logText,
    async close() {
      await rf.store.clear().catch(() => {});
      await rf.close();
    },
  };
}

#!/usr/bin/env node
// `npm run demo [-- --headed] [-- --port N]`: the whole loop on the bundled demo site; keeps serving.
import { parseArgs } from 'node:util';
import { runDemo } from './demo-scenario.js';

const { values } = parseArgs({ options: { headed: { type: 'boolean', default: false }, port: { type: 'string', default: process.env.PORT ?? '3000' } } });
const say = (line: string) => process.stdout.write(line + '\n');

runDemo({ headed: values.headed, port: Number(values.port), say }).then(
  (demo) => {
    say(`\nPress Ctrl-C to stop.`);
    const stop = () => demo.close().then(() => process.exit(0), () => process.exit(1));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
  (err: Error) => {
    process.stderr.write(`demo failed: ${err.message}\n`);
    process.exit(1);
  },
);

import { cliFailure, type CliFailure } from './cli-failure.js';
import { runs, run, workflows } from './cli-local.js';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/**
 * `run`, `workflows` and `runs`: the commands that need neither a browser, nor the recorder, nor the
 * queue, and that scripts call often. scripts/bundle-cli.mjs bundles this module and what it imports
 * into one file (dist/server/cli-quick.bundle.mjs): a warm `replayfarm run` then reads and compiles
 * one file instead of resolving some 400 modules one by one, which is most of its start-up. The
 * bundle holds its own copies of the error classes, so it describes its failures itself: the
 * answer is undefined on success, else what cli.ts prints and its exit code.
 */
export async function quick(command: string, values: Values, positionals: string[]): Promise<CliFailure | undefined> {
  try {
    if (command === 'workflows') await workflows();
    else if (command === 'runs') await runs(positionals[0], { limit: values.limit as string, json: values.json === true });
    else await run(positionals[0], { inputs: values.input as string[], mode: values.mode as string, session: values.session as string, json: values.json === true });
    return undefined;
  } catch (err) {
    return cliFailure(err);
  }
}

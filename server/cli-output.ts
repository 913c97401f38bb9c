/** Progress goes to stderr, results to stdout: `replayfarm run … > out.json` keeps only the output. */
export const progress = (msg: string) => process.stderr.write(`replayfarm: ${msg}\n`);

/** Calls `stop` once, on the first SIGTERM or SIGINT. */
export function onSignals(stop: (signal: string) => void): void {
  let stopping = false;
  const once = (signal: string) => {
    if (stopping) return;
    stopping = true;
    stop(signal);
  };
  process.on('SIGTERM', () => once('SIGTERM'));
  process.on('SIGINT', () => once('SIGINT'));
}

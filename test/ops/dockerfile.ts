/** The Dockerfile's instructions, by stage: what the ops tests replay and check without an engine. */
export interface Instruction {
  op: string;
  args: string;
}

/** The Dockerfile's instructions (continuation lines joined, comments dropped), by stage name. */
export function dockerStages(text: string): Map<string, Instruction[]> {
  const stages = new Map<string, Instruction[]>();
  let current: Instruction[] | undefined;
  const joined = text.replace(/\\\r?\n/g, ' ');
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [, op, args] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (!op) continue;
    if (op.toUpperCase() === 'FROM') {
      current = [];
      stages.set(/\bAS\s+(\S+)/i.exec(args!)?.[1] ?? `stage${stages.size}`, current);
    }
    current?.push({ op: op.toUpperCase(), args: args!.trim() });
  }
  return stages;
}

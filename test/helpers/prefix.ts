import { randomBytes } from 'node:crypto';

/** A Redis key prefix of a test's own, so tests never see each other's data. */
export function testPrefix(name = 'test'): string {
  return `rf-test-${name}-${randomBytes(4).toString('hex')}:`;
}

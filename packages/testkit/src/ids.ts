import { randomBytes } from 'node:crypto';

/**
 * A name no other test file, run or earlier run uses: `prefix_` plus 10 random hex digits.
 * Safe as a PostgreSQL identifier, Kafka topic, consumer group or Redis key prefix.
 */
export function uniqueName(prefix: string): string {
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(prefix)) {
    throw new Error(
      `uniqueName: prefix must be lower-case letters, digits and _, starting with a letter (got "${prefix}")`,
    );
  }
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

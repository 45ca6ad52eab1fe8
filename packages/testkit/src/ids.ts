import { randomBytes } from 'node:crypto';

/**
 * A name no other test file, run or earlier run uses: `prefix_` plus 10 random hex digits.
 * Safe as a PostgreSQL identifier, Kafka topic, consumer group, connector, replication slot or
 * Redis key prefix.
 *
 * @param prefix - Lower-case letters, digits and `_`, starting with a letter, at most 41 long.
 * @throws `Error` naming the prefix when it is not.
 *
 * @example
 * ```ts
 * const topic = uniqueName('orders'); // 'orders_3f9a0c12be'
 * ```
 */
export function uniqueName(prefix: string): string {
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(prefix)) {
    throw new Error(
      `uniqueName: prefix must be lower-case letters, digits and _, starting with a letter (got "${prefix}")`,
    );
  }
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

import { qualifiedName, quoteIdentifier } from '@trackops/core';
import { z } from 'zod';

/** Where the outbox table lives. */
export const outboxTableSchema = z.object({
  /**
   * Schema of the outbox table (created by `migrate` if missing).
   * @defaultValue `'public'`
   */
  schema: z.string().default('public'),
  /**
   * Name of the outbox table.
   * @defaultValue `'outbox'`
   */
  table: z.string().default('outbox'),
});

/** Options naming the outbox table; both default (`public.outbox`). */
export type OutboxTableOptions = z.input<typeof outboxTableSchema>;

/** Every SQL name derived from the configured table, validated and quoted once. */
export interface OutboxNames {
  readonly schema: string;
  readonly table: string;
  /** `"schema"."table"`, ready for SQL. */
  readonly qualified: string;
  /** The migration history table's unquoted name. */
  readonly historyTable: string;
  /** The LISTEN/NOTIFY channel the insert trigger signals (unquoted; ≤ 63 bytes). */
  readonly channel: string;
  /** Advisory-lock key of the relay: one relay batch at a time per table. */
  readonly relayLockKey: string;
  /** Seed of the per-aggregate advisory locks taken by `enqueue`. */
  readonly aggregateLockSeed: string;
  /** Key of the lock that serialises migrations of this table. */
  readonly migrationLockKey: string;
}

/** Resolves table options into the names used in SQL. Throws on an invalid identifier. */
export function outboxNames(options: OutboxTableOptions = {}): OutboxNames {
  const { schema, table } = outboxTableSchema.parse(options);
  const qualified = qualifiedName(schema, table, 'table');
  const historyTable = `${table}_migrations`;
  quoteIdentifier(historyTable, 'table (with the _migrations suffix)');
  const id = `${schema}.${table}`;
  return {
    schema,
    table,
    qualified,
    historyTable,
    channel: `trackops_outbox_${schema}_${table}`.slice(0, 63),
    relayLockKey: `trackops:outbox:relay:${id}`,
    aggregateLockSeed: `trackops:outbox:aggregate:${id}:`,
    migrationLockKey: `trackops:outbox:migrate:${id}`,
  };
}

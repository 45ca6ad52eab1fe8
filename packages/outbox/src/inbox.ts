import {
  qualifiedName,
  runMigrations,
  withTransaction,
  type ConnectionPool,
  type MigrationResult,
  type Queryable,
  queryPrepared,
} from '@trackops/core';
import { z } from 'zod';

/** Where the inbox table lives (in the consumer's database). */
export const inboxTableSchema = z.object({
  /** @defaultValue `'public'` */
  schema: z.string().default('public'),
  /** @defaultValue `'inbox'` */
  table: z.string().default('inbox'),
});

/** Options naming the inbox table; both default (`public.inbox`). */
export type InboxTableOptions = z.input<typeof inboxTableSchema>;

function inboxName(options: InboxTableOptions): {
  schema: string;
  table: string;
  qualified: string;
} {
  const { schema, table } = inboxTableSchema.parse(options);
  return { schema, table, qualified: qualifiedName(schema, table, 'inbox') };
}

/**
 * Creates or upgrades the inbox table: one row per (consumer, message id) processed.
 * Idempotent and safe to run from several processes at once.
 */
export async function migrateInbox(
  pool: ConnectionPool,
  options: InboxTableOptions = {},
): Promise<MigrationResult> {
  const { schema, table, qualified } = inboxName(options);
  return runMigrations(
    pool,
    {
      schema,
      historyTable: `${table}_migrations`,
      lockKey: `trackops:inbox:migrate:${schema}.${table}`,
    },
    [
      {
        version: 1,
        name: 'create inbox table',
        sql: `
        create table ${qualified} (
          consumer text not null,
          message_id text not null,
          processed_at timestamptz not null default now(),
          primary key (consumer, message_id)
        );
        create index "${table}_processed_at_idx" on ${qualified} (processed_at);`,
      },
    ],
  );
}

/** Identifies one message for one consumer. */
export interface InboxKey {
  /** The consuming application or handler (usually its consumer group). */
  consumer: string;
  /** The message's id: the outbox `id` header, or anything unique per message. */
  messageId: string;
}

/**
 * Records a message as processed inside the caller's transaction.
 *
 * @returns `true` the first time; `false` when the message was already processed (then
 *   apply nothing). A concurrent duplicate waits on the first one's row lock, so exactly one
 *   of them sees `true`.
 */
export async function markProcessed(
  tx: Queryable,
  key: InboxKey,
  options: InboxTableOptions = {},
): Promise<boolean> {
  const { qualified } = inboxName(options);
  const result = await queryPrepared(
    tx,
    `insert into ${qualified} (consumer, message_id) values ($1, $2) on conflict do nothing`,
    [key.consumer, key.messageId],
  );
  return result.rowCount === 1;
}

/** What {@link inbox} did. */
export type InboxResult<T> = { duplicate: true } | { duplicate: false; result: T };

/**
 * Runs `fn` for a message at most once per consumer: in one transaction, records the message
 * in the inbox and applies `fn`'s effects (through the `tx` it receives). A duplicate is
 * skipped; if `fn` throws, nothing is recorded and the error propagates, so a redelivery runs
 * it again.
 *
 * @example
 * ```ts
 * const outcome = await inbox(pool, { consumer: 'billing', messageId: headers.id }, async (tx) => {
 *   await tx.query('update accounts set balance = balance - $1 where id = $2', [amount, accountId]);
 * });
 * if (outcome.duplicate) logger.info({ messageId: headers.id }, 'already applied');
 * ```
 */
export async function inbox<T>(
  pool: ConnectionPool,
  key: InboxKey,
  fn: (tx: Queryable) => Promise<T>,
  options: InboxTableOptions = {},
): Promise<InboxResult<T>> {
  return withTransaction(pool, async (tx): Promise<InboxResult<T>> => {
    if (!(await markProcessed(tx, key, options))) return { duplicate: true };
    return { duplicate: false, result: await fn(tx) };
  });
}

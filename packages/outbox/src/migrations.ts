import {
  runMigrations,
  type ConnectionPool,
  type Migration,
  type MigrationResult,
} from '@trackops/core';
import { outboxNames, type OutboxNames, type OutboxTableOptions } from './table.js';

/**
 * The outbox table's versions. Columns `id`, `aggregatetype`, `aggregateid`, `type` and
 * `payload` keep the names and meaning Debezium's Outbox Event Router reads by default, so
 * the same table can be relayed by either. The rest belongs to the TrackOps relay; the router
 * ignores columns it is not told about.
 */
export function outboxMigrations(names: OutboxNames): Migration[] {
  const t = names.qualified;
  const unpublished = `"${names.table}_unpublished_idx"`;
  const blocking = `"${names.table}_blocking_idx"`;
  const published = `"${names.table}_published_idx"`;
  const notify = `"${names.schema}"."${names.table}_notify"`;
  return [
    {
      version: 1,
      name: 'create outbox table',
      sql: `
        create table ${t} (
          id uuid primary key,
          aggregatetype text not null,
          aggregateid text not null,
          type text not null,
          payload jsonb,
          correlation_id text,
          causation_id text,
          traceparent text,
          -- Assigned under the aggregate's advisory lock (see enqueue), so for one aggregate
          -- seq order is commit order.
          seq bigint generated always as identity unique,
          created_at timestamptz not null default now(),
          published_at timestamptz,
          attempts integer not null default 0,
          last_error text,
          next_attempt_at timestamptz,
          dead_at timestamptz
        );
        -- The relay's queue: unpublished, live rows in seq order.
        create index ${unpublished} on ${t} (seq) where published_at is null and dead_at is null;
        -- Rows that failed at least once and may hold back their aggregate's later events;
        -- tiny in normal operation, so the relay's "is an earlier event blocked" check is cheap.
        create index ${blocking} on ${t} (aggregatetype, aggregateid, seq)
          where published_at is null and attempts > 0;
        -- Retention cleanup deletes published rows oldest first.
        create index ${published} on ${t} (published_at) where published_at is not null;

        -- One notification per inserting statement wakes idle relays at once; polling covers
        -- a lost notification.
        create function ${notify}() returns trigger language plpgsql as $$
        begin
          perform pg_notify('${names.channel}', '');
          return null;
        end $$;
        create trigger "${names.table}_notify" after insert on ${t}
          for each statement execute function ${notify}();
      `,
    },
    {
      version: 2,
      name: 'extra headers column',
      // Nullable with no default: adding it rewrites nothing, and rows without extra headers
      // stay as small as before.
      sql: `alter table ${t} add column headers jsonb;`,
    },
  ];
}

/**
 * Creates or upgrades the outbox table. Idempotent, and safe when several processes start
 * at once (they serialise on an advisory lock; later ones find the work done).
 *
 * @param pool - A `pg.Pool` (or anything with `connect()`): migrations run on one connection.
 * @param options - The table to migrate; defaults to `public.outbox`.
 *
 * @example
 * ```ts
 * await migrate(pool, { schema: 'orders', table: 'outbox' });
 * ```
 */
export async function migrate(
  pool: ConnectionPool,
  options: OutboxTableOptions = {},
): Promise<MigrationResult> {
  const names = outboxNames(options);
  return runMigrations(
    pool,
    { schema: names.schema, historyTable: names.historyTable, lockKey: names.migrationLockKey },
    outboxMigrations(names),
  );
}

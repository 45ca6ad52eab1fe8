import { parseOptions, type Queryable } from '@trackops/core';
import { z } from 'zod';
import { deletePublished } from './claim.js';
import { outboxNames, outboxTableSchema, type OutboxTableOptions } from './table.js';

/** A snapshot of an outbox table, for dashboards, health checks and the CLI. */
export interface OutboxStatus {
  /** Rows not yet published and not dead. */
  backlog: number;
  /** Age of the oldest such row in ms (0 when the backlog is empty): the relay's lag. */
  oldestUnpublishedAgeMs: number;
  /** Rows waiting out a backoff after a failed attempt. */
  retrying: number;
  /** Dead rows (failed `maxAttempts` times). */
  dead: number;
  /** Published rows not yet removed by retention. */
  published: number;
}

/** Which outbox table an operation works on (default `public.outbox`), as the relay takes it. */
export interface OutboxTableSelection {
  table?: OutboxTableOptions;
}

/**
 * Counts the outbox's rows by state.
 *
 * @example
 * ```ts
 * const { backlog, oldestUnpublishedAgeMs, dead } = await outboxStatus(pool);
 * if (dead > 0) logger.warn({ dead }, 'dead outbox rows: see `trackops-outbox dead list`');
 * ```
 */
export async function outboxStatus(
  db: Queryable,
  options: OutboxTableSelection = {},
): Promise<OutboxStatus> {
  const names = outboxNames(options.table);
  const { rows } = await db.query<Record<string, string | null>>(
    `select count(*) filter (where published_at is null and dead_at is null) as backlog,
            coalesce(extract(epoch from now() - min(created_at) filter (where published_at is null and dead_at is null)) * 1000, 0) as age,
            count(*) filter (where published_at is null and dead_at is null and attempts > 0) as retrying,
            count(*) filter (where dead_at is not null) as dead,
            count(*) filter (where published_at is not null) as published
       from ${names.qualified}`,
  );
  const row = rows[0] ?? {};
  return {
    backlog: Number(row['backlog'] ?? 0),
    oldestUnpublishedAgeMs: Math.round(Number(row['age'] ?? 0)),
    retrying: Number(row['retrying'] ?? 0),
    dead: Number(row['dead'] ?? 0),
    published: Number(row['published'] ?? 0),
  };
}

/** A dead outbox row with what killed it. */
export interface DeadEvent {
  id: string;
  aggregateType: string;
  aggregateId: string;
  type: string;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  deadAt: Date;
}

/** Dead rows, oldest first. */
export async function listDead(
  db: Queryable,
  options: OutboxTableSelection & { limit?: number } = {},
): Promise<DeadEvent[]> {
  const names = outboxNames(options.table);
  const { rows } = await db.query<Record<string, unknown>>(
    `select id::text, aggregatetype, aggregateid, type, attempts, last_error, created_at, dead_at
       from ${names.qualified} where dead_at is not null order by seq limit $1`,
    [options.limit ?? 100],
  );
  return rows.map((row) => ({
    id: row['id'] as string,
    aggregateType: row['aggregatetype'] as string,
    aggregateId: row['aggregateid'] as string,
    type: row['type'] as string,
    attempts: row['attempts'] as number,
    lastError: row['last_error'] as string | null,
    createdAt: row['created_at'] as Date,
    deadAt: row['dead_at'] as Date,
  }));
}

/**
 * Makes dead rows live again (attempts reset), so the relay publishes them — in `seq` order,
 * before the later events of their aggregates that they were holding back.
 *
 * @param options - The table, and `ids`: the rows to replay (all dead rows when omitted).
 * @returns how many rows were replayed.
 *
 * @example
 * ```ts
 * const dead = await listDead(pool, { limit: 50 }); // inspect `lastError` first
 * await replayDead(pool, { ids: dead.map((row) => row.id) }); // once the cause is fixed
 * ```
 */
export async function replayDead(
  db: Queryable,
  options: OutboxTableSelection & { ids?: readonly string[] } = {},
): Promise<number> {
  const names = outboxNames(options.table);
  const result = await db.query(
    `update ${names.qualified}
        set dead_at = null, attempts = 0, next_attempt_at = null, last_error = null
      where dead_at is not null and ($1::uuid[] is null or id = any($1::uuid[]))`,
    [options.ids ?? null],
  );
  return result.rowCount ?? 0;
}

/**
 * Deletes dead rows for good (their aggregates' held-back events then flow).
 *
 * @param options - The table, and `ids`: the rows to delete (all dead rows when omitted).
 * @returns how many rows were deleted.
 */
export async function purgeDead(
  db: Queryable,
  options: OutboxTableSelection & { ids?: readonly string[] } = {},
): Promise<number> {
  const names = outboxNames(options.table);
  const result = await db.query(
    `delete from ${names.qualified} where dead_at is not null and ($1::uuid[] is null or id = any($1::uuid[]))`,
    [options.ids ?? null],
  );
  return result.rowCount ?? 0;
}

/** Options of {@link purgePublished}. */
export const purgePublishedOptionsSchema = z
  .object({
    /** Delete rows published at least this long ago (0: every published row). */
    olderThanMs: z.int().min(0),
    /** Rows per delete statement: short transactions, no long locks. @defaultValue 1000 */
    batchSize: z.int().min(1).max(100_000).default(1000),
    /** The outbox table. @defaultValue `public.outbox` */
    table: outboxTableSchema.prefault({}),
    /** Stops between batches when aborted; rows already deleted stay deleted. */
    signal: z
      .custom<AbortSignal>((value) => value instanceof AbortSignal, {
        message: 'must be an AbortSignal',
      })
      .optional(),
  })
  .strict();

/** Options of {@link purgePublished}. */
export type PurgePublishedOptions = z.input<typeof purgePublishedOptionsSchema>;

/**
 * Deletes published rows older than `olderThanMs` — the relay's retention cleanup, run on
 * demand (say from a cron job, or with the relay's own `retention` turned far up). Deletes
 * `batchSize` rows per statement, skipping rows another cleaner holds, until none is left.
 * Unpublished and dead rows are never touched.
 *
 * @returns how many rows were deleted.
 * @throws TrackOpsError `INVALID_OPTIONS` naming a bad option, before anything is deleted.
 *
 * @example
 * ```ts
 * const deleted = await purgePublished(pool, { olderThanMs: 7 * 24 * 3600 * 1000 });
 * ```
 */
export async function purgePublished(
  db: Queryable,
  options: PurgePublishedOptions,
): Promise<number> {
  const resolved = parseOptions(purgePublishedOptionsSchema, options, 'purgePublished');
  return deletePublished(db, outboxNames(resolved.table), resolved);
}

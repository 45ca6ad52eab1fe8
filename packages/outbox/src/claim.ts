import { queryPrepared, type Queryable } from '@trackops/core';
import type { OutboxNames } from './table.js';

/** An outbox row as the relay reads it. */
export interface OutboxRow {
  id: string;
  aggregatetype: string;
  aggregateid: string;
  type: string;
  /** The payload as PostgreSQL prints jsonb (`null` when the column is NULL). */
  payload: string | null;
  correlation_id: string | null;
  causation_id: string | null;
  traceparent: string | null;
  /** The event's extra headers (the `headers` jsonb column). */
  headers: Record<string, string> | null;
  seq: string;
  attempts: number;
}

/**
 * The next rows the relay may publish, in `seq` order: unpublished, live, not waiting out a
 * backoff, and with no earlier row of their aggregate that is waiting out a backoff — or, when
 * `deadBlocks`, that is dead. (An earlier row that is itself eligible sorts first and rides in
 * the same batch, so it does not hold the later one back.) `afterSeq` continues after the
 * previous batch of the same transaction, whose rows are not marked yet.
 */
export async function eligibleRows(
  db: Queryable,
  names: OutboxNames,
  limit: number,
  deadBlocks: boolean,
  afterSeq = '0',
): Promise<OutboxRow[]> {
  const t = names.qualified;
  const { rows } = await queryPrepared<Record<string, unknown>>(
    db,
    `select o.id::text as id, o.aggregatetype, o.aggregateid, o.type, o.payload::text as payload,
            o.correlation_id, o.causation_id, o.traceparent, o.headers, o.seq::text as seq, o.attempts
       from ${t} o
      where o.published_at is null and o.dead_at is null
        and (o.next_attempt_at is null or o.next_attempt_at <= now())
        and not exists (
          select 1 from ${t} b
           where b.aggregatetype = o.aggregatetype and b.aggregateid = o.aggregateid
             and b.seq < o.seq and b.published_at is null and b.attempts > 0
             and ((b.dead_at is null and b.next_attempt_at > now()) or (b.dead_at is not null and $2))
        )
        and o.seq > $3::bigint
      order by o.seq
      limit $1`,
    [limit, deadBlocks, afterSeq],
  );
  return rows as unknown as OutboxRow[];
}

/** Marks rows published; called only after the broker acknowledged them. */
export async function markPublished(
  db: Queryable,
  names: OutboxNames,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  await queryPrepared(
    db,
    `update ${names.qualified} set published_at = now() where id = any($1::uuid[])`,
    [ids],
  );
}

/**
 * Records a row-level failure: one more attempt, the error, and either the time of the next
 * attempt or — at `maxAttempts` — the time it went dead.
 *
 * @returns whether the row is now dead.
 */
export async function markFailed(
  db: Queryable,
  names: OutboxNames,
  failure: { id: string; error: string; delayMs: number; maxAttempts: number },
): Promise<boolean> {
  const { rows } = await db.query<{ dead: boolean }>(
    `update ${names.qualified}
        set attempts = attempts + 1,
            last_error = $2,
            dead_at = case when attempts + 1 >= $3 then now() end,
            next_attempt_at = case when attempts + 1 >= $3 then null else now() + make_interval(secs => $4::double precision / 1000) end
      where id = $1
      returning dead_at is not null as dead`,
    [failure.id, failure.error.slice(0, 4000), failure.maxAttempts, failure.delayMs],
  );
  return rows[0]?.dead ?? false;
}

/**
 * Deletes rows published longer than `olderThanMs` ago, `batchSize` at a time (short
 * transactions, no long locks), until none is left or `signal` aborts.
 *
 * @returns how many rows were deleted.
 */
export async function deletePublished(
  db: Queryable,
  names: OutboxNames,
  options: { olderThanMs: number; batchSize: number; signal?: AbortSignal | undefined },
): Promise<number> {
  let deleted = 0;
  for (;;) {
    if (options.signal?.aborted) return deleted;
    const result = await db.query(
      `delete from ${names.qualified} where id in (
         select id from ${names.qualified}
          where published_at < now() - make_interval(secs => $1::double precision / 1000)
          order by published_at limit $2
          for update skip locked)`,
      [options.olderThanMs, options.batchSize],
    );
    deleted += result.rowCount ?? 0;
    if ((result.rowCount ?? 0) < options.batchSize) return deleted;
  }
}

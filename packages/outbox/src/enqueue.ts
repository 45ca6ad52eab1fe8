import { queryPrepared, type Queryable } from '@trackops/core';
import { validateEvents, type OutboxEvent } from './events.js';
import { outboxNames, type OutboxNames, type OutboxTableOptions } from './table.js';

/** Inserts validated events into one outbox table; see {@link enqueue} for the contract. */
export async function enqueueTo(
  names: OutboxNames,
  client: Queryable,
  events: OutboxEvent | readonly OutboxEvent[],
): Promise<string[]> {
  const list = validateEvents(Array.isArray(events) ? events : [events as OutboxEvent]);
  if (list.length === 0) return [];
  // Length-prefixed so no two (type, id) pairs make the same key.
  const aggregates = [
    ...new Set(
      list.map(
        (event) => `${event.aggregateType.length}:${event.aggregateType}:${event.aggregateId}`,
      ),
    ),
  ].sort();
  // One statement, one round trip: the `locked` CTE takes the aggregates' locks before any row
  // is produced (the sort by `n` consumes the join first), so every `seq` default below is
  // drawn under the locks.
  await queryPrepared(
    client,
    `with locked as (
       select count(pg_advisory_xact_lock(hashtextextended($10 || a, 0)))
         from (select a from unnest($11::text[]) as a order by a) as sorted
     )
     insert into ${names.qualified}
       (id, aggregatetype, aggregateid, type, payload, correlation_id, causation_id, traceparent, headers)
     select id, aggregatetype, aggregateid, type, payload, correlation_id, causation_id, traceparent, headers
       from locked,
            unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::text[], $7::text[], $8::text[], $9::jsonb[])
              with ordinality as e(id, aggregatetype, aggregateid, type, payload, correlation_id, causation_id, traceparent, headers, n)
      order by n`,
    [
      list.map((event) => event.id),
      list.map((event) => event.aggregateType),
      list.map((event) => event.aggregateId),
      list.map((event) => event.type),
      list.map((event) => JSON.stringify(event.payload)),
      list.map((event) => event.correlationId ?? null),
      list.map((event) => event.causationId ?? null),
      list.map((event) => event.traceparent ?? null),
      list.map((event) => (event.headers === undefined ? null : JSON.stringify(event.headers))),
      names.aggregateLockSeed,
      aggregates,
    ],
  );
  return list.map((event) => event.id);
}

/** An outbox bound to one table: `enqueue` into it and `names` for the relay and tools. */
export interface Outbox {
  readonly names: OutboxNames;
  /** Writes events to this outbox's table in the caller's transaction; see {@link enqueue}. */
  enqueue(client: Queryable, events: OutboxEvent | readonly OutboxEvent[]): Promise<string[]>;
}

/**
 * An outbox on a configured table (default `public.outbox`).
 *
 * @example
 * ```ts
 * const outbox = createOutbox({ schema: 'orders' });
 * const tx = await pool.connect();
 * await tx.query('begin');
 * await tx.query('insert into orders.orders …');
 * await outbox.enqueue(tx, { aggregateType: 'order', aggregateId: id, type: 'ORDER_CREATED', payload });
 * await tx.query('commit');
 * ```
 */
export function createOutbox(options: OutboxTableOptions = {}): Outbox {
  const names = outboxNames(options);
  return { names, enqueue: (client, events) => enqueueTo(names, client, events) };
}

const defaultOutbox = createOutbox();

/**
 * Writes events to the outbox inside the caller's transaction: they become visible to the
 * relay exactly when the business change commits, and vanish with it on rollback.
 *
 * Before inserting, it takes a transaction-scoped advisory lock per aggregate (in a fixed
 * order, so two callers cannot deadlock on one call's locks). Writers of the same aggregate
 * thereby serialise from their first enqueue until commit, which makes the outbox's `seq`
 * order equal commit order per aggregate — the order the relay publishes in. Writers that
 * already lock the aggregate's row lose nothing; others gain a defined order.
 *
 * This writes to the default table `public.outbox`; {@link createOutbox} binds another.
 *
 * @param client - The transaction's client (a `pg.PoolClient` after `BEGIN`, or any
 *   `query(text, values)`); outside a transaction each call commits on its own.
 * @param events - One event or several (written in array order).
 * @returns The ids of the written events, in order (UUIDv7 unless given).
 * @throws OutboxError `OUTBOX_INVALID_EVENT` naming the field; nothing is written.
 */
export function enqueue(
  client: Queryable,
  events: OutboxEvent | readonly OutboxEvent[],
): Promise<string[]> {
  return defaultOutbox.enqueue(client, events);
}

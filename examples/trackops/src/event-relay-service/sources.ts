/**
 * The three outboxes the service relays — `orders` (trackops_orders), `inventory`
 * (trackops_inventory) and `event_relay` (its own: the CDC-derived events) — each with its
 * relay (route by type: the event type is the topic), its Prometheus metrics, and the
 * operations of the API (unprocessed rows, publish now, dead rows).
 */
import {
  createRelay,
  listDead,
  outboxStatus,
  replayDead,
  type DeadEvent,
  type OutboxRelay,
  type OutboxStatus,
  type RelayOptions,
} from '@trackops/outbox';
import { outboxMetrics, type OutboxMetrics } from '@trackops/outbox/prometheus';
import type { Kafka } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { z } from 'zod';

export const sourceNames = ['orders', 'inventory', 'event_relay'] as const;
export type SourceName = (typeof sourceNames)[number];

/** Relay settings a deployment (or a test) may tune. */
export type RelaySettings = Pick<
  RelayOptions,
  'pollIntervalMs' | 'listen' | 'maxAttempts' | 'backoff' | 'batchSize' | 'onDeadEvent'
>;

/**
 * The relay settings a deployment sets in its environment: `RELAY_MAX_ATTEMPTS` (attempts
 * before a row that cannot be published is dead; the relay's default when unset).
 *
 * @throws Error naming the variable when it is not a positive integer.
 */
export function relaySettingsFromEnv(env: NodeJS.ProcessEnv = process.env): {
  relay?: RelaySettings;
} {
  const given = env['RELAY_MAX_ATTEMPTS'];
  if (given === undefined) return {};
  const parsed = z.coerce.number().int().min(1).safeParse(given);
  if (!parsed.success) {
    throw new Error(`event-relay-service: invalid configuration: RELAY_MAX_ATTEMPTS: ${given}`);
  }
  return { relay: { maxAttempts: parsed.data } };
}

/** One relayed outbox. */
export interface OutboxSource {
  readonly name: SourceName;
  readonly database: string;
  readonly pool: pg.Pool;
  readonly relay: OutboxRelay;
}

/** An unpublished row, as `GET /api/events/unprocessed` lists it. */
export interface UnprocessedEvent {
  source: SourceName;
  id: string;
  type: string;
  aggregateType: string;
  aggregateId: string;
  createdAt: string;
  attempts: number;
  lastError: string | null;
}

/** Starts the relay of one outbox (`public.outbox` of `pool`'s database) with its metrics. */
export async function startSource(options: {
  name: SourceName;
  database: string;
  pool: pg.Pool;
  kafka: Kafka;
  topicTemplate: string;
  settings: RelaySettings;
  registry: Registry;
  logger: Logger;
}): Promise<{ source: OutboxSource; stop(): Promise<void> }> {
  const logger = options.logger.child({ source: options.name });
  const relay = createRelay({
    pool: options.pool,
    kafka: options.kafka,
    route: { by: 'type', topic: options.topicTemplate },
    pollIntervalMs: 250,
    ...options.settings,
    logger,
    onError: (error) => logger.warn({ err: error }, 'relay error'),
  });
  const metrics: OutboxMetrics = outboxMetrics(relay, {
    registry: options.registry,
    pool: options.pool,
    prefix: `trackops_outbox_${options.name}_`,
    logger,
  });
  await relay.start();
  logger.info({ database: options.database }, 'relaying outbox');
  return {
    source: { name: options.name, database: options.database, pool: options.pool, relay },
    async stop() {
      await relay.stop();
      metrics.unsubscribe();
    },
  };
}

/** The columns of an outbox row that the lists show. */
interface ListedColumns extends Record<string, unknown> {
  id: string;
  type: string;
  aggregatetype: string;
  aggregateid: string;
  created_at: Date;
  attempts: number;
  last_error: string | null;
}

const listedColumns =
  'id::text, type, aggregatetype, aggregateid, created_at, attempts, last_error';

const listed = (source: OutboxSource, row: ListedColumns): UnprocessedEvent => ({
  source: source.name,
  id: row.id,
  type: row.type,
  aggregateType: row.aggregatetype,
  aggregateId: row.aggregateid,
  createdAt: row.created_at.toISOString(),
  attempts: row.attempts,
  lastError: row.last_error,
});

/** Unpublished, live rows (dead rows are listed by {@link deadEvents}), oldest first. */
export async function unprocessed(
  source: OutboxSource,
  limit: number,
): Promise<UnprocessedEvent[]> {
  const { rows } = await source.pool.query<ListedColumns>(
    `select ${listedColumns}
       from outbox where published_at is null and dead_at is null order by seq limit $1`,
    [limit],
  );
  return rows.map((row) => listed(source, row));
}

/** Where a row stands. */
export async function rowState(
  source: OutboxSource,
  id: string,
): Promise<
  | { state: 'missing' }
  | { state: 'published' | 'dead' | 'pending'; attempts: number; lastError: string | null }
> {
  const { rows } = await source.pool.query<{
    published: boolean;
    dead: boolean;
    attempts: number;
    last_error: string | null;
  }>(
    `select published_at is not null as published, dead_at is not null as dead, attempts, last_error
       from outbox where id = $1::uuid`,
    [id],
  );
  const row = rows[0];
  if (!row) return { state: 'missing' };
  return {
    state: row.published ? 'published' : row.dead ? 'dead' : 'pending',
    attempts: row.attempts,
    lastError: row.last_error,
  };
}

/**
 * Runs relay cycles now until nothing more is waiting (or `until` holds), and returns how many
 * rows they published. The relay's own loop may hold the table's relay lock at that moment
 * (`not-leader`): then this waits a little and tries again, up to `timeoutMs`.
 */
export async function publishNow(
  source: OutboxSource,
  options: { timeoutMs: number; until?: () => Promise<boolean> },
): Promise<number> {
  const deadline = Date.now() + options.timeoutMs;
  let published = 0;
  for (;;) {
    const result = await source.relay.runBatch();
    switch (result.kind) {
      case 'done':
        published += result.published;
        if (!result.more) return published;
        break;
      case 'aborted':
        throw result.error;
      case 'not-leader':
        // Another cycle is in flight (this relay's loop or another process's).
        if ((await options.until?.()) === true || Date.now() > deadline) return published;
        await sleep(50);
        break;
    }
    if ((await options.until?.()) === true || Date.now() > deadline) return published;
  }
}

/** An outbox row of one aggregate or correlation, as `GET /api/events` lists it. */
export interface JourneyEvent extends UnprocessedEvent {
  correlationId: string | null;
  state: 'published' | 'pending' | 'dead';
  publishedAt: string | null;
}

/**
 * The rows of `aggregateId`, or carrying `correlationId`, published or not, in commit order:
 * what an order's journey put on Kafka from this outbox (the event type is the topic). The
 * outbox has no index on these columns (the relay never needs one); retention
 * (`purgePublished`) keeps the scan small.
 */
export async function eventsOf(
  source: OutboxSource,
  filter: { aggregateId?: string | undefined; correlationId?: string | undefined },
  limit: number,
): Promise<JourneyEvent[]> {
  const { rows } = await source.pool.query<
    ListedColumns & {
      correlation_id: string | null;
      published_at: Date | null;
      dead_at: Date | null;
    }
  >(
    `select ${listedColumns}, correlation_id, published_at, dead_at
       from outbox where aggregateid = $1 or correlation_id = $2 order by seq limit $3`,
    [filter.aggregateId ?? null, filter.correlationId ?? null, limit],
  );
  return rows.map((row) => ({
    ...listed(source, row),
    correlationId: row.correlation_id,
    state: row.published_at !== null ? 'published' : row.dead_at !== null ? 'dead' : 'pending',
    publishedAt: row.published_at?.toISOString() ?? null,
  }));
}

export const sourceStatus = (source: OutboxSource): Promise<OutboxStatus> =>
  outboxStatus(source.pool);

export async function deadEvents(
  source: OutboxSource,
  limit: number,
): Promise<Array<DeadEvent & { source: SourceName }>> {
  return (await listDead(source.pool, { limit })).map((event) => ({
    ...event,
    source: source.name,
  }));
}

export const replayDeadEvents = (source: OutboxSource, ids?: readonly string[]): Promise<number> =>
  replayDead(source.pool, ids === undefined ? {} : { ids });

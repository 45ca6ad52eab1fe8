/**
 * What every outbox scenario shares: the stack, a database with a migrated outbox, the
 * events written to it, fresh topics, the router connector, and completion by end offsets.
 * Everything created here registers its own removal with the scenario's {@link Cleanup}.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createTopics,
  deleteConnector,
  putConnector,
  uniqueName,
  waitForSlot,
  withDatabase,
  type TestDatabase,
} from '@trackops/testkit/helpers';
import { createOutbox, debeziumOutboxConnector, migrate, type OutboxEvent } from '@trackops/outbox';
import type { Message } from 'kafkajs';
import pg from 'pg';
import type { Cleanup } from '../lib/cleanup.js';
import { benchDatabase, type BenchContext } from '../lib/context.js';

export type { BenchContext } from '../lib/context.js';

/** Aggregates the events are spread over (keys, so all three partitions get records). */
const AGGREGATES = 1000;
/** Rows per `enqueue` call when filling a table. */
const FILL_CHUNK = 1000;
/** Random filler, generated once per run, that makes each payload print as 1,024 bytes. */
const PAD = randomBytes(512).toString('hex');

/**
 * Event `n` of a run: a `parcel` event whose jsonb payload prints as exactly 1,024 bytes
 * (PostgreSQL prints `{"n": 12, "pad": "…"}`; the pad absorbs the width of `n`).
 */
export function benchEvent(n: number): OutboxEvent {
  const overhead = `{"n": ${n}, "pad": ""}`.length;
  return {
    aggregateType: 'parcel',
    aggregateId: `parcel-${n % AGGREGATES}`,
    type: 'PARCEL_MOVED',
    payload: { n, pad: PAD.slice(0, 1024 - overhead) },
  };
}

/** The routed topic of the bench events for a topic prefix (the relay and router agree). */
export function topicOf(prefix: string): string {
  return `${prefix}.parcel`;
}

/** The `route` option both the relay and the router take. */
export function routeFor(prefix: string): { topic: string } {
  return { topic: `${prefix}.\${routedByValue}` };
}

/** A fresh database with a migrated outbox, dropped at cleanup. */
export async function outboxDatabase(
  ctx: BenchContext,
  cleanup: Cleanup,
  label: string,
): Promise<TestDatabase> {
  const db = await benchDatabase(ctx.stack.DATABASE_URL, cleanup, `bench_${label}`);
  await migrate(db.pool);
  return db;
}

/**
 * Writes events `0 … count-1` with the real `enqueue`, FILL_CHUNK per call: each call in its
 * own transaction, or all in one (`oneTransaction`). Resolves with the time the (last)
 * commit was acknowledged, as `performance.now()`.
 */
export async function fillOutbox(
  pool: pg.Pool,
  count: number,
  options: { oneTransaction: boolean },
): Promise<number> {
  const outbox = createOutbox();
  const client = await pool.connect();
  try {
    if (options.oneTransaction) await client.query('begin');
    for (let from = 0; from < count; from += FILL_CHUNK) {
      const events = Array.from({ length: Math.min(FILL_CHUNK, count - from) }, (_, i) =>
        benchEvent(from + i),
      );
      await outbox.enqueue(client, events);
    }
    if (options.oneTransaction) await client.query('commit');
    return performance.now();
  } finally {
    client.release();
  }
}

/**
 * The records the relay would publish for the table's rows, built the way it builds them
 * (key = aggregate id, value = the payload as PostgreSQL prints the jsonb, headers `id` and
 * `type`; the other headers are NULL here and the relay leaves those out).
 */
export async function recordsOf(pool: pg.Pool): Promise<Message[]> {
  const { rows } = await pool.query<{
    id: string;
    aggregateid: string;
    type: string;
    payload: string;
  }>('select id::text, aggregateid, type, payload::text as payload from outbox order by seq');
  return rows.map((row) => ({
    key: row.aggregateid,
    value: row.payload,
    headers: { id: row.id, type: row.type },
  }));
}

/** Creates the bench topic for `prefix` with 3 partitions; deletes every `prefix` topic at cleanup. */
export async function benchTopic(
  ctx: BenchContext,
  cleanup: Cleanup,
  prefix: string,
): Promise<string> {
  const topic = topicOf(prefix);
  cleanup.defer(`delete topics ${prefix}*`, () => deleteTopicsContaining(ctx, prefix));
  await createTopics(ctx.kafka, [topic], 3);
  return topic;
}

/** Deletes every topic whose name contains `fragment` (Debezium adds its heartbeat topic). */
export async function deleteTopicsContaining(ctx: BenchContext, fragment: string): Promise<void> {
  const topics = (await ctx.admin.listTopics()).filter((topic) => topic.includes(fragment));
  if (topics.length > 0) await ctx.admin.deleteTopics({ topics, timeout: 30_000 });
}

/** Records on a topic: the sum of its partitions' high watermarks (fresh topics, no transactions). */
export async function recordCount(ctx: BenchContext, topic: string): Promise<number> {
  const offsets = await ctx.admin.fetchTopicOffsets(topic);
  return offsets.reduce((total, partition) => total + Number(partition.high), 0);
}

/**
 * Polls the topic's end offsets every `everyMs` until it holds `expected` records; resolves
 * with the `performance.now()` of the poll that saw them all.
 */
export async function waitForRecords(
  ctx: BenchContext,
  topic: string,
  expected: number,
  timeoutMs: number,
  everyMs = 20,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const count = await recordCount(ctx, topic);
    const now = performance.now();
    if (count >= expected) return now;
    if (now > deadline)
      throw new Error(`${topic}: ${count} of ${expected} records after ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/**
 * Registers Debezium's Outbox Event Router on the database (as `debeziumOutboxConnector`
 * configures it, routing to `prefix`) and waits until it runs — and, for `no_data`, until
 * its slot is read, since changes committed before that are never streamed. The connector
 * is deleted at cleanup (before the database, which cannot be dropped while its slot is
 * active). Returns the connector's name (its topics and slot contain it).
 */
export async function registerRouter(
  ctx: BenchContext,
  cleanup: Cleanup,
  db: TestDatabase,
  prefix: string,
  snapshotMode: 'no_data' | 'initial',
  overrides: Record<string, string> = {},
): Promise<string> {
  const connector = debeziumOutboxConnector({
    name: uniqueName('bench_router'),
    databaseUrl: withDatabase(ctx.stack.CONNECT_DATABASE_URL, db.name),
    route: routeFor(prefix),
    snapshotMode,
    overrides,
  });
  cleanup.defer(`delete topics of ${connector.name}`, () =>
    deleteTopicsContaining(ctx, connector.name),
  );
  const slot = connector.config['slot.name']!;
  cleanup.defer(`delete connector ${connector.name}`, async () => {
    await deleteConnector(ctx.stack.CONNECT_URL, connector.name);
    await waitForSlotReleased(ctx.stack.DATABASE_URL, slot);
  });
  await putConnector(ctx.stack.CONNECT_URL, connector.name, connector.config);
  if (snapshotMode === 'no_data') await waitForSlot(ctx.stack.DATABASE_URL, slot);
  return connector.name;
}

/**
 * Waits until no walsender holds the slot any more: Connect lists a deleted connector as gone
 * before its task has closed the replication connection, and the database (with its slot)
 * can be dropped only after that.
 */
async function waitForSlotReleased(serverUrl: string, slot: string, timeoutMs = 30_000) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      const { rows } = await client.query<{ active: boolean }>(
        'select active from pg_replication_slots where slot_name = $1',
        [slot],
      );
      if (!rows[0]?.active) return;
      await sleep(200);
    }
    throw new Error(
      `replication slot ${slot} still active ${timeoutMs} ms after its connector was deleted`,
    );
  } finally {
    await client.end();
  }
}

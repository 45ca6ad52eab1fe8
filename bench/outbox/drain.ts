/**
 * Scenario 1: drain a backlog of pre-inserted 1 KiB events, three ways, each into topics of
 * its own — raw kafkajs (the ceiling of the Kafka leg), the TrackOps relay, and Debezium's
 * Outbox Event Router. Completion is the same for all: the topic's end offsets (polled every
 * 20 ms) sum to the number of events.
 */
import { performance } from 'node:perf_hooks';
import { uniqueName } from '@trackops/testkit/helpers';
import { createRelay, outboxStatus } from '@trackops/outbox';
import type { Message } from 'kafkajs';
import type pg from 'pg';
import { Cleanup } from '../lib/cleanup.js';
import { round } from '../lib/stats.js';
import {
  benchTopic,
  fillOutbox,
  outboxDatabase,
  recordsOf,
  registerRouter,
  routeFor,
  waitForRecords,
  type BenchContext,
} from './fixture.js';
import { timedPool, type PhaseTimes } from './timedPool.js';

export interface DrainOptions {
  events: number;
  /** The relay's `batchSize`, and the raw producer's records per `sendBatch`. */
  batchSize: number;
  /** Also time the router's initial snapshot of a pre-filled table. */
  routerSnapshot: boolean;
}

export interface DrainResult {
  system: 'raw-kafkajs' | 'relay' | 'router-streaming' | 'router-snapshot';
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** What the clock measured. */
  clock: string;
}

/** Where a relay's drain time went, from the outside (see timedPool.ts). */
export interface RelayDrainDiagnostics {
  batches: number;
  /** The relay's own `relay:batch:published` durations (lock → marked, before commit). */
  batchMs: { mean: number; first10PercentMean: number; last10PercentMean: number };
  /** Milliseconds per batch by phase; `publish` is the rest of a batch (kafkajs sendBatch). */
  perBatchMs: Record<string, number>;
}

export interface DrainReport {
  results: DrainResult[];
  relayDiagnostics: RelayDrainDiagnostics;
}

const DRAIN_TIMEOUT_MS = 15 * 60_000;

function result(
  system: DrainResult['system'],
  events: number,
  ms: number,
  clock: string,
): DrainResult {
  return {
    system,
    events,
    seconds: round(ms / 1000, 3),
    eventsPerSecond: Math.round(events / (ms / 1000)),
    clock,
  };
}

export async function runDrain(ctx: BenchContext, options: DrainOptions): Promise<DrainReport> {
  const results: DrainResult[] = [];
  let relayDiagnostics: RelayDrainDiagnostics;

  // Raw kafkajs and the relay share one table: raw sends exactly the records the relay will.
  {
    const cleanup = new Cleanup();
    try {
      const db = await outboxDatabase(ctx, cleanup, 'drain');
      ctx.log(`drain: writing ${options.events} events`);
      await fillOutbox(db.pool, options.events, { oneTransaction: false });
      // Fresh statistics, as autovacuum would have them for a table this size.
      await db.pool.query('vacuum analyze outbox');

      const records = await recordsOf(db.pool);
      const raw = await drainRaw(ctx, cleanup, records, options.batchSize);
      results.push(raw);
      ctx.log(`drain: raw kafkajs ${raw.eventsPerSecond} events/s`);

      const relay = await drainRelay(ctx, cleanup, db.pool, options);
      results.push(relay.result);
      relayDiagnostics = relay.diagnostics;
      ctx.log(`drain: relay ${relay.result.eventsPerSecond} events/s`);
    } finally {
      await cleanup.run();
    }
  }

  results.push(await drainRouterStreaming(ctx, options.events));
  ctx.log(`drain: router (streaming) ${results.at(-1)!.eventsPerSecond} events/s`);
  if (options.routerSnapshot) {
    results.push(await drainRouterSnapshot(ctx, options.events));
    ctx.log(`drain: router (snapshot) ${results.at(-1)!.eventsPerSecond} events/s`);
  }
  return { results, relayDiagnostics };
}

/**
 * The ceiling: the same records, already in memory, sent with the relay's producer settings
 * (idempotent, one request in flight, acks -1) in `sendBatch` calls of `batchSize` records —
 * one call after the other, as the relay sends its batches.
 */
async function drainRaw(
  ctx: BenchContext,
  cleanup: Cleanup,
  records: readonly Message[],
  batchSize: number,
): Promise<DrainResult> {
  const topic = await benchTopic(ctx, cleanup, uniqueName('bench_raw'));
  const started = performance.now();
  const producer = ctx.kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: true,
  });
  await producer.connect();
  try {
    for (let from = 0; from < records.length; from += batchSize) {
      await producer.sendBatch({
        topicMessages: [{ topic, messages: records.slice(from, from + batchSize) }],
        acks: -1,
      });
    }
    const done = await waitForRecords(ctx, topic, records.length, DRAIN_TIMEOUT_MS);
    return result(
      'raw-kafkajs',
      records.length,
      done - started,
      'producer connect → end offsets complete',
    );
  } finally {
    await producer.disconnect();
  }
}

async function drainRelay(
  ctx: BenchContext,
  cleanup: Cleanup,
  pool: pg.Pool,
  options: DrainOptions,
): Promise<{ result: DrainResult; diagnostics: RelayDrainDiagnostics }> {
  const prefix = uniqueName('bench_relay');
  const topic = await benchTopic(ctx, cleanup, prefix);
  const timed = timedPool(pool);
  const relay = createRelay({
    pool: timed.pool,
    kafka: ctx.kafka,
    route: routeFor(prefix),
    batchSize: options.batchSize,
  });
  const batchMs: number[] = [];
  relay.on('relay:batch:published', ({ durationMs }) => batchMs.push(durationMs));
  const started = performance.now();
  await relay.start();
  let done: number;
  try {
    done = await waitForRecords(ctx, topic, options.events, DRAIN_TIMEOUT_MS);
  } finally {
    await relay.stop();
  }
  const status = await outboxStatus(pool);
  if (status.backlog !== 0 || status.dead !== 0)
    throw new Error(`relay drain left backlog ${status.backlog}, dead ${status.dead}`);
  return {
    result: result('relay', options.events, done - started, 'relay start() → end offsets complete'),
    diagnostics: diagnose(batchMs, timed.times),
  };
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

function diagnose(batchMs: readonly number[], times: PhaseTimes): RelayDrainDiagnostics {
  const tenth = Math.max(1, Math.floor(batchMs.length / 10));
  const batches = times.mark.count;
  const per = (ms: number): number => round(ms / Math.max(1, batches), 2);
  const database = ['connect', 'begin', 'lock', 'select', 'mark', 'commit'] as const;
  const perBatchMs: Record<string, number> = Object.fromEntries(
    database.map((phase) => [phase, per(times[phase].ms)]),
  );
  // The relay's batch duration spans lock → mark; what is not select or mark is publishing.
  perBatchMs['publish'] = round(
    mean(batchMs) - (times.select.ms + times.mark.ms) / Math.max(1, batches),
    2,
  );
  return {
    batches,
    batchMs: {
      mean: round(mean(batchMs)),
      first10PercentMean: round(mean(batchMs.slice(0, tenth))),
      last10PercentMean: round(mean(batchMs.slice(-tenth))),
    },
    perBatchMs,
  };
}

/**
 * The router on its streaming path, which is how it relays in production: registered with
 * `no_data`, its slot read, then the backlog committed in one transaction; the clock runs
 * from that commit to the last record. (PostgreSQL decodes a transaction only once it
 * commits, so no record can leave earlier — the same start line as the relay's rows.)
 */
async function drainRouterStreaming(ctx: BenchContext, events: number): Promise<DrainResult> {
  const cleanup = new Cleanup();
  try {
    const db = await outboxDatabase(ctx, cleanup, 'drain_router');
    const prefix = uniqueName('bench_router');
    const topic = await benchTopic(ctx, cleanup, prefix);
    await registerRouter(ctx, cleanup, db, prefix, 'no_data');
    ctx.log(`drain: router registered; writing ${events} events in one transaction`);
    const committed = await fillOutbox(db.pool, events, { oneTransaction: true });
    const done = await waitForRecords(ctx, topic, events, DRAIN_TIMEOUT_MS);
    return result(
      'router-streaming',
      events,
      done - committed,
      'commit of the backlog → end offsets complete',
    );
  } finally {
    await cleanup.run();
  }
}

/**
 * The router's snapshot path: registered with `initial` on a table already holding the
 * backlog; the clock runs from registration, so it includes the connector's start.
 */
async function drainRouterSnapshot(ctx: BenchContext, events: number): Promise<DrainResult> {
  const cleanup = new Cleanup();
  try {
    const db = await outboxDatabase(ctx, cleanup, 'drain_snapshot');
    await fillOutbox(db.pool, events, { oneTransaction: false });
    await db.pool.query('vacuum analyze outbox');
    const prefix = uniqueName('bench_snapshot');
    const topic = await benchTopic(ctx, cleanup, prefix);
    const started = performance.now();
    await registerRouter(ctx, cleanup, db, prefix, 'initial');
    const done = await waitForRecords(ctx, topic, events, DRAIN_TIMEOUT_MS);
    return result(
      'router-snapshot',
      events,
      done - started,
      'connector registration → end offsets complete (includes connector start)',
    );
  } finally {
    await cleanup.run();
  }
}

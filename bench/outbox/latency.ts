/**
 * Scenario 2: commit-to-consume latency at a steady rate. One writer commits `enqueue`
 * transactions of `perCommit` events on a fixed schedule (1,000 events/s = 10 events every
 * 10 ms); one kafkajs consumer, already joined before the first write, stamps each record
 * as its batch arrives. Latency = arrival − the writer's commit acknowledgement, both on
 * this process's monotonic clock, matched by the `id` header (the relay and the router both
 * send it). The relay runs in a process of its own with its default options, woken by
 * LISTEN/NOTIFY; the router as `debeziumOutboxConnector` configures it. Each system gets
 * its own database and topics and the same load, one after the other.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createOutbox } from '@trackops/outbox';
import { uniqueName } from '@trackops/testkit/helpers';
import pg from 'pg';
import { Cleanup } from '../lib/cleanup.js';
import { round, summarize, type Summary } from '../lib/stats.js';
import {
  benchEvent,
  benchTopic,
  outboxDatabase,
  registerRouter,
  routeFor,
  type BenchContext,
} from './fixture.js';
import { spawnRelay } from './relayChild.js';

export interface LatencyOptions {
  ratePerSecond: number;
  seconds: number;
  /** Events committed in the first seconds are relayed but not counted (connections, JIT). */
  warmupSeconds: number;
  /** Events per transaction. */
  perCommit: number;
  /** The relay's batch size (its default unless told). */
  batchSize: number;
  /** Debezium `poll.interval.ms` of the `router-tuned` system. */
  tunedPollMs: number;
}

export interface LatencyResult {
  /** `router-tuned`: the router with `poll.interval.ms` lowered to `tunedPollMs`. */
  system: 'relay' | 'router' | 'router-tuned';
  /** Events committed (warm-up included). */
  committed: number;
  /** Events counted: committed after the warm-up and consumed. */
  measured: number;
  /** Counted events never consumed before the deadline. */
  missing: number;
  achievedPerSecond: number;
  /** Commit-to-consume latency, ms. */
  latencyMs: Summary;
  /** The writer's begin → commit acknowledged, ms (the load's own cost). */
  commitMs: Summary;
  /** Most the writer fell behind its schedule, ms. */
  maxScheduleLagMs: number;
}

export async function runLatency(
  ctx: BenchContext,
  system: LatencyResult['system'],
  options: LatencyOptions,
): Promise<LatencyResult> {
  const cleanup = new Cleanup();
  try {
    const db = await outboxDatabase(ctx, cleanup, `latency_${system.replace('-', '_')}`);
    const prefix = uniqueName(`bench_lat_${system.replace('-', '_')}`);
    const topic = await benchTopic(ctx, cleanup, prefix);

    switch (system) {
      case 'relay': {
        const relay = await spawnRelay({
          databaseUrl: db.url,
          brokers: ctx.stack.KAFKA_BROKERS,
          route: routeFor(prefix),
          batchSize: options.batchSize,
        });
        cleanup.defer('stop relay process', async () => {
          const stopped = await relay.stop();
          if (relay.errors.length > 0)
            ctx.log(`latency: relay reported errors: ${relay.errors.join('; ')}`);
          void stopped;
        });
        relay.go();
        break;
      }
      case 'router':
        await registerRouter(ctx, cleanup, db, prefix, 'no_data');
        break;
      case 'router-tuned':
        // Debezium sleeps poll.interval.ms when the slot has nothing new, and its queue waits
        // up to as long for a full batch: at 500 ms (the default) that dominates its latency.
        await registerRouter(ctx, cleanup, db, prefix, 'no_data', {
          'poll.interval.ms': String(options.tunedPollMs),
        });
        break;
    }

    // The consumer joins before the first write, so no record waits for a rebalance.
    const arrived = new Map<string, number>();
    const consumer = ctx.kafka.consumer({ groupId: uniqueName('bench_lat'), maxWaitTimeInMs: 100 });
    await consumer.connect();
    cleanup.defer('disconnect consumer', () => consumer.disconnect());
    const joined = new Promise<void>((resolve) =>
      consumer.on(consumer.events.GROUP_JOIN, () => resolve()),
    );
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: ({ batch }) => {
        const now = performance.now();
        for (const message of batch.messages) {
          const id = message.headers?.['id']?.toString();
          if (id && !arrived.has(id)) arrived.set(id, now);
        }
        return Promise.resolve();
      },
    });
    await joined;

    const writer = new pg.Client({ connectionString: db.url });
    await writer.connect();
    cleanup.defer('close writer', () => writer.end());
    ctx.log(`latency: ${system}: ${options.ratePerSecond} events/s for ${options.seconds} s`);
    const load = await writeSteadily(writer, options);

    // Everything committed must arrive; give the slower system time to catch up.
    const deadline = performance.now() + 60_000;
    while (
      performance.now() < deadline &&
      [...load.committedAt.keys()].some((id) => !arrived.has(id))
    )
      await sleep(100);

    const latencies: number[] = [];
    let missing = 0;
    for (const id of load.counted) {
      const at = arrived.get(id);
      if (at === undefined) missing++;
      else latencies.push(at - load.committedAt.get(id)!);
    }
    return {
      system,
      committed: load.committedAt.size,
      measured: latencies.length,
      missing,
      achievedPerSecond: Math.round(load.achievedPerSecond),
      latencyMs: roundSummary(summarize(latencies)),
      commitMs: roundSummary(summarize(load.commitMs)),
      maxScheduleLagMs: round(load.maxLagMs),
    };
  } finally {
    await cleanup.run();
  }
}

function roundSummary(summary: Summary): Summary {
  const entries = Object.entries(summary) as Array<[keyof Summary, number]>;
  return Object.fromEntries(
    entries.map(([key, value]) => [key, key === 'count' ? value : round(value)]),
  ) as unknown as Summary;
}

/**
 * Commits `perCommit` events every `perCommit / rate` seconds for `seconds`, on one
 * connection. A commit that overruns its slot delays the next one (the schedule is kept by
 * absolute due times, so the writer catches up rather than drifting).
 */
async function writeSteadily(
  client: pg.Client,
  options: LatencyOptions,
): Promise<{
  committedAt: Map<string, number>;
  counted: string[];
  commitMs: number[];
  achievedPerSecond: number;
  maxLagMs: number;
}> {
  const outbox = createOutbox();
  const intervalMs = (1000 * options.perCommit) / options.ratePerSecond;
  const committedAt = new Map<string, number>();
  const counted: string[] = [];
  const commitMs: number[] = [];
  let maxLagMs = 0;
  let n = 0;
  const start = performance.now();
  const end = start + options.seconds * 1000;
  const warmupEnd = start + options.warmupSeconds * 1000;
  for (let tick = 0; ; tick++) {
    const due = start + tick * intervalMs;
    if (due >= end) break;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const began = performance.now();
    maxLagMs = Math.max(maxLagMs, began - due);
    const events = Array.from({ length: options.perCommit }, () => benchEvent(n++));
    await client.query('begin');
    const ids = await outbox.enqueue(client, events);
    await client.query('commit');
    const committed = performance.now();
    commitMs.push(committed - began);
    for (const id of ids) {
      committedAt.set(id, committed);
      if (due >= warmupEnd) counted.push(id);
    }
  }
  const elapsed = (performance.now() - start) / 1000;
  return { committedAt, counted, commitMs, achievedPerSecond: n / elapsed, maxLagMs };
}

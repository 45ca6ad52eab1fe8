/**
 * Scenario 3: invalidation lag through the real connector, and stale entries after drain. A
 * writer commits single-row updates at a steady rate; the invalidator (in this process, as in
 * a service) applies each change to two caches of the table — one invalidated, one warmed with
 * the new image — while readers read both. Lag = the `cache:invalidated` event (emitted once
 * Redis applied the script) − the writer's commit acknowledgement, same process and clock.
 * After the writes stop and a sentinel change went through, the consistency checker compares
 * every key of both caches with the database.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  bindRows,
  checkConsistency,
  createCache,
  createCacheInvalidator,
  invalidateEntries,
  warmEntries,
} from '@trackops/cache';
import {
  createTopics,
  debeziumTestConfig,
  deleteConnector,
  putConnector,
  uniqueName,
  waitForSlot,
  withDatabase,
  type StackEndpoints,
} from '@trackops/testkit/helpers';
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import pg from 'pg';
import { Cleanup } from '../lib/cleanup.js';
import { benchDatabase } from '../lib/context.js';
import { round, summarize, type Summary } from '../lib/stats.js';

export interface LagOptions {
  ratePerSecond: number;
  seconds: number;
  warmupSeconds: number;
  rows: number;
  readers: number;
  /** Reads per second, all readers together (paced, as requests would arrive). */
  readRate: number;
  /** Debezium `poll.interval.ms`. */
  pollIntervalMs: number;
}

export interface LagResult {
  committed: number;
  measured: number;
  /** Counted commits whose invalidation never arrived before the deadline. */
  missing: number;
  lagMs: Summary;
  /**
   * Invalidations slower than 100 ms, by when their commit happened (seconds into the run,
   * warm-up included): one stall shows as one short span, a slow pipeline as the whole run.
   */
  slow: { count: number; firstAtS: number; lastAtS: number };
  reads: number;
  readerErrors: number;
  staleAfterDrain: number;
  checked: number;
  connector: Record<string, string>;
  consumerConfig: Record<string, number>;
}

interface Item {
  id: number;
  version: number;
  label: string;
}

export async function runLag(
  stack: StackEndpoints,
  kafka: Kafka,
  redis: Redis,
  keyPrefix: string,
  options: LagOptions,
  log: (message: string) => void,
): Promise<LagResult> {
  await using cleanup = new Cleanup();
  const db = await benchDatabase(stack.DATABASE_URL, cleanup, 'bench_cache_lag');
  await db.pool.query(
    'create table items (id integer primary key, version integer not null, label text not null)',
  );
  const prefix = uniqueName('bench_cache');
  const topic = `${prefix}.public.items`;
  await createTopics(kafka, [topic], 1);
  cleanup.defer(`delete topic ${topic}`, async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [topic] });
    } finally {
      await admin.disconnect();
    }
  });
  const connector = {
    'snapshot.mode': 'no_data',
    'poll.interval.ms': String(options.pollIntervalMs),
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable': 'false',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'false',
  };
  const config = debeziumTestConfig(
    {
      databaseUrl: withDatabase(stack.CONNECT_DATABASE_URL, db.name),
      database: db.name,
      topicPrefix: prefix,
      tables: ['public.items'],
    },
    connector,
  );
  await putConnector(stack.CONNECT_URL, prefix, config);
  cleanup.defer(`delete connector ${prefix}`, () => deleteConnector(stack.CONNECT_URL, prefix));
  await waitForSlot(stack.DATABASE_URL, config['slot.name']!);

  const cacheOf = (namespace: string) =>
    createCache<Item>({ redis, keyPrefix, namespace, commandTimeoutMs: 5_000 });
  const invalidated = cacheOf('lag-inv');
  const warmed = cacheOf('lag-warm');
  const consumerConfig = { maxWaitTimeInMs: 100 };
  const invalidator = createCacheInvalidator({
    kafka,
    groupId: uniqueName('bench_cache_lag'),
    tables: {
      [topic]: bindRows([
        invalidateEntries(invalidated, { keys: (row) => String(row['id']) }),
        warmEntries(warmed, {
          key: (row) => String(row['id']),
          value: (row) => ({
            id: row['id'] as number,
            version: row['version'] as number,
            label: row['label'] as string,
          }),
        }),
      ]),
    },
    fromBeginning: true,
    consumerConfig,
  });
  let applied = 0;
  let sentinelApplied = 0;
  invalidator.on('cache:change:applied', ({ keys }) => {
    applied++;
    if (keys.includes('0')) sentinelApplied++;
  });
  await invalidator.start();
  cleanup.defer('stop invalidator', () => invalidator.stop());

  await db.pool.query(
    `insert into items select id, 1, 'item ' || id from generate_series(0, $1) as id`,
    [options.rows],
  );
  const deadlineOf = (ms: number) => Date.now() + ms;
  const waitUntil = async (what: string, condition: () => boolean, ms = 60_000) => {
    const deadline = deadlineOf(ms);
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`lag: timed out waiting for ${what}`);
      await sleep(10);
    }
  };
  await waitUntil('the initial inserts', () => applied >= options.rows + 1);
  log(`lag: ${options.rows} rows inserted and applied; measuring`);

  const pending = new Map<string, { at: number; counted: boolean }>();
  const lags: number[] = [];
  const slowAt: number[] = [];
  invalidated.on('cache:invalidated', ({ keys }) => {
    const now = performance.now();
    for (const key of keys) {
      const commit = pending.get(key);
      if (!commit) continue;
      pending.delete(key);
      if (!commit.counted) continue;
      lags.push(now - commit.at);
      if (now - commit.at > 100) slowAt.push(commit.at);
    }
  });

  const load = async (key: string): Promise<Item | undefined> => {
    const { rows } = await db.pool.query<Item>(
      'select id, version, label from items where id = $1',
      [Number(key)],
    );
    return rows[0];
  };
  let running = true;
  let reads = 0;
  let readerErrors = 0;
  const readInterval = (1000 * options.readers) / options.readRate;
  const readers = Array.from({ length: options.readers }, async () => {
    while (running) {
      const due = performance.now() + readInterval;
      const key = String(1 + Math.floor(Math.random() * options.rows));
      try {
        await invalidated.getOrLoad(key, () => load(key));
        await warmed.getOrLoad(key, () => load(key));
        reads++;
      } catch {
        readerErrors++;
      }
      await sleep(Math.max(0, due - performance.now()));
    }
  });

  const writer = new pg.Client({ connectionString: db.url });
  await writer.connect();
  cleanup.defer('close writer', () => writer.end());
  const interval = 1000 / options.ratePerSecond;
  const total = Math.round(options.ratePerSecond * options.seconds);
  const warmup = Math.round(options.ratePerSecond * options.warmupSeconds);
  const start = performance.now();
  let committed = 0;
  let measured = 0;
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const id = 1 + (i % options.rows);
    await writer.query('update items set version = version + 1 where id = $1', [id]);
    const counted = i >= warmup;
    if (counted) measured++;
    pending.set(String(id), { at: performance.now(), counted });
    committed++;
  }
  log(`lag: ${committed} updates committed; draining`);
  // Drain: a sentinel change after all others, on the topic's single partition.
  const before = sentinelApplied;
  await writer.query('update items set version = version + 1 where id = 0');
  await waitUntil('the sentinel change', () => sentinelApplied > before);
  running = false;
  await Promise.all(readers);
  const missing = [...pending.values()].filter((commit) => commit.counted).length;

  const keys = Array.from({ length: options.rows + 1 }, (_, i) => String(i));
  const reports = await Promise.all([
    checkConsistency(invalidated, { load, keys }),
    checkConsistency(warmed, { load, keys }),
  ]);
  return {
    committed,
    measured,
    missing,
    lagMs: summarize(lags),
    slow: {
      count: slowAt.length,
      firstAtS: slowAt.length === 0 ? 0 : round((Math.min(...slowAt) - start) / 1000, 1),
      lastAtS: slowAt.length === 0 ? 0 : round((Math.max(...slowAt) - start) / 1000, 1),
    },
    reads,
    readerErrors,
    staleAfterDrain: reports.reduce((sum, report) => sum + report.stale.length, 0),
    checked: reports.reduce((sum, report) => sum + report.checked, 0),
    connector,
    consumerConfig,
  };
}

export const lagRound = (summary: Summary): Summary =>
  Object.fromEntries(
    (Object.entries(summary) as Array<[string, number]>).map(([key, value]) => [
      key,
      round(value, 1),
    ]),
  ) as unknown as Summary;

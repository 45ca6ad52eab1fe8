/**
 * End-to-end consume rate: a bare kafkajs consumer and `createCdcConsumer` reading the same
 * pre-produced topic from its beginning, each with a consumer group of its own.
 */
import { performance } from 'node:perf_hooks';
import { createCdcConsumer } from '@trackops/cdc';
import { uniqueName } from '@trackops/testkit/helpers';
import type { Kafka } from 'kafkajs';

export type RateSystem = 'bare-kafkajs' | 'cdc-consumer';

export interface RateResult {
  system: RateSystem;
  round: number;
  records: number;
  /** First record in hand → last record done: the consume rate, without the group join. */
  seconds: number;
  recordsPerSecond: number;
  /** `run()`/`start()` → last record done, including connect and the group join. */
  wallSeconds: number;
  /** Records whose handling failed (the consumer's `cdc:failed`); must be 0. */
  failed: number;
  groupId: string;
}

interface Clock {
  first: number;
  done: () => void;
}

function deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function clock(): { state: Clock; finished: Promise<number> } {
  let resolve!: (at: number) => void;
  const finished = new Promise<number>((r) => (resolve = r));
  return { state: { first: 0, done: () => resolve(performance.now()) }, finished };
}

function result(
  system: RateSystem,
  round: number,
  records: number,
  started: number,
  first: number,
  end: number,
  failed: number,
  groupId: string,
): RateResult {
  const seconds = (end - first) / 1000;
  return {
    system,
    round,
    records,
    seconds: Math.round(seconds * 1000) / 1000,
    recordsPerSecond: Math.round(records / seconds),
    wallSeconds: Math.round(end - started) / 1000,
    failed,
    groupId,
  };
}

/**
 * The baseline: what any eachBatch consumer does per record — `JSON.parse` of the value,
 * `resolveOffset` and `heartbeat` — with the same `run()` settings as the CDC consumer
 * (`eachBatchAutoResolve: false`, one partition at a time, kafkajs' default autoCommit).
 */
export async function runBare(
  kafka: Kafka,
  topic: string,
  records: number,
  round: number,
  timeoutMs: number,
): Promise<RateResult> {
  const groupId = uniqueName('bench_cdc_bare');
  const consumer = kafka.consumer({ groupId });
  const { state, finished } = clock();
  let seen = 0;
  let sink = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const started = performance.now();
    await consumer.run({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      // Called as the CDC consumer calls them: as methods of the payload.
      eachBatch: async (payload) => {
        if (state.first === 0) state.first = performance.now();
        for (const message of payload.batch.messages) {
          if (!payload.isRunning() || payload.isStale()) return;
          if (message.value !== null) {
            const value = JSON.parse(message.value.toString()) as unknown;
            if (value !== null) sink++;
          }
          payload.resolveOffset(message.offset);
          await payload.heartbeat();
          if (++seen === records) state.done();
        }
      },
    });
    const end = await deadline(finished, timeoutMs, 'bare kafkajs consumer');
    if (sink === 0) throw new Error('bare consumer parsed nothing');
    return result('bare-kafkajs', round, records, started, state.first, end, 0, groupId);
  } finally {
    await consumer.disconnect();
  }
}

/**
 * `createCdcConsumer` with a no-op handler and its default settings, except `fromBeginning`
 * (the backlog was produced before the group existed). Tombstones are skipped by default, so
 * the handler sees `records - tombstones` events; the clock starts at the first batch.
 */
export async function runCdc(
  kafka: Kafka,
  topic: string,
  records: number,
  tombstones: number,
  round: number,
  timeoutMs: number,
): Promise<RateResult> {
  const groupId = uniqueName('bench_cdc_consumer');
  const expected = records - tombstones;
  const { state, finished } = clock();
  let handled = 0;
  let failed = 0;
  const consumer = createCdcConsumer({
    kafka,
    groupId,
    fromBeginning: true,
    tables: {
      [topic]: () => {
        if (state.first === 0) state.first = performance.now();
        if (++handled === expected) state.done();
      },
    },
  });
  consumer.on('cdc:failed', () => void failed++);
  const started = performance.now();
  try {
    await consumer.start();
    const end = await deadline(finished, timeoutMs, 'CDC consumer');
    return result('cdc-consumer', round, records, started, state.first, end, failed, groupId);
  } finally {
    await consumer.stop();
  }
}

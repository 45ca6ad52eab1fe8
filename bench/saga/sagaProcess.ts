/**
 * One service of the saga benchmark in a process of its own (as in production, and so the
 * orchestrator's memory is its own): the orchestrator — which also drives the load — or the
 * participants (inventory and payment), of the library, the baseline or `bare`. Driven over stdio
 * (see ../lib/childProcess.ts), one JSON object a line:
 *
 *   argv[2]: {@link SagaProcessConfig} as JSON
 *   stdout:  {"type":"ready",…}      modules loaded, pool and clients created, nothing started
 *            {"type":"started",…}    after "go": services started (orchestrator: load begins)
 *            {"type":"done",…}       orchestrator, load mode: every saga completed
 *            {"type":"waiting",…}    orchestrator, rss mode: one per checkpoint of waiting sagas
 *            {"type":"stopped",…}    after "stop", with the final memory figures
 *   stdin:   "go" starts; "stop" (or end of input) stops and exits
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CommandRejected,
  createSagaParticipant,
  createSagaRuntime,
  handle,
  type RelaySettings,
  type SagaRuntime,
} from '@trackops/saga';
import { withTransaction } from '@trackops/core';
import { testKafka } from '@trackops/testkit/helpers';
import pg from 'pg';
import { processMemory, sendToParent } from '../lib/childProcess.js';
import { summarize } from '../lib/stats.js';
import { BareOrchestrator, BareParticipants } from './bare.js';
import { BaselineOrchestrator, BaselineParticipants, type OrderInput } from './baseline.js';
import { benchSaga, sagaTopics, SKUS, sql, type SagaSystem } from './workload.js';

export interface SagaProcessConfig {
  role: 'orchestrator' | 'participants';
  system: SagaSystem;
  databaseUrl: string;
  brokers: string;
  prefix: string;
  /** Connections of the process's pool. */
  poolSize: number;
  /** Reply / command partitions processed at once (= the topics' partitions). */
  partitions: number;
  /** Orchestrator, load mode: sagas to run, how many in flight, and the first ones not counted. */
  load?: { sagas: number; concurrency: number; warmup: number };
  /** Orchestrator (library), rss mode: begin sagas nobody answers, report at each count. */
  rss?: { checkpoints: number[] };
  /** Library: settings of the runtime's and the participants' outbox relays. @defaultValue theirs */
  relay?: RelaySettings;
}

/** What the orchestrator reports when the load is done. */
export interface LoadResult {
  /** Sagas counted (begun after the warm-up). */
  measured: number;
  /** From the first counted begin to the last counted completion. */
  seconds: number;
  sagasPerSecond: number;
  /** Begin (before its transaction) → completion observed by the orchestrator, ms. */
  durationMs: ReturnType<typeof summarize>;
}

interface Orchestrator {
  start(): Promise<void>;
  stop(): Promise<void>;
  begin(sagaId: string, order: OrderInput): Promise<void>;
}

function order(n: number): OrderInput {
  return {
    orderId: randomUUID(),
    sku: SKUS[n % SKUS.length]!,
    quantity: 1 + (n % 3),
    amount: `${10 + (n % 90)}.50`,
  };
}

function libraryOrchestrator(
  config: SagaProcessConfig,
  pool: pg.Pool,
  onCompleted: (sagaId: string) => void,
): Orchestrator {
  // rss mode: nobody answers, and nothing may time out while the sagas wait.
  const { saga } = benchSaga(config.prefix, config.rss ? 3_600_000 : 30_000);
  const runtime: SagaRuntime = createSagaRuntime({
    pool,
    kafka: testKafka(config.brokers, 'bench-saga-orchestrator'),
    sagas: [saga],
    replyTopic: sagaTopics(config.prefix).replies,
    tables: { schema: 'orders' },
    partitionsConsumedConcurrently: config.partitions,
    relay: config.relay ?? {},
  });
  runtime.on('saga:ended', ({ sagaId, status }) => {
    if (status === 'COMPLETED') onCompleted(sagaId);
    else sendToParent({ type: 'error', message: `saga ${sagaId} ended ${status}` });
  });
  return {
    start: () => runtime.start(),
    stop: () => runtime.stop(),
    begin: async (sagaId, input) => {
      // As an order service does: the order and its saga in one transaction.
      await withTransaction(pool, async (client) => {
        await client.query(sql.placeOrder, [
          input.orderId,
          input.sku,
          input.quantity,
          input.amount,
        ]);
        await runtime.begin(client, saga, input, { id: sagaId });
      });
    },
  };
}

function libraryParticipants(config: SagaProcessConfig, pool: pg.Pool) {
  const { commands } = benchSaga(config.prefix, 30_000);
  const kafka = testKafka(config.brokers, 'bench-saga-participants');
  const common = {
    pool,
    kafka,
    partitionsConsumedConcurrently: config.partitions,
    relay: config.relay ?? {},
  };
  const inventory = createSagaParticipant({
    ...common,
    groupId: `${config.prefix}-inventory`,
    tables: { schema: 'inventory' },
    handlers: [
      handle(commands.reserve, async ({ orderId, sku, quantity }, { tx }) => {
        const reserved = await tx.query(sql.reserve, [sku, quantity]);
        if (reserved.rowCount !== 1) throw new CommandRejected(`out of ${sku}`);
        await tx.query(sql.recordReservation, [orderId, sku, quantity]);
        return { reservationId: `r-${orderId}` };
      }),
      handle(commands.release, () => Promise.resolve({})),
    ],
  });
  const payment = createSagaParticipant({
    ...common,
    groupId: `${config.prefix}-payment`,
    tables: { schema: 'payment' },
    handlers: [
      handle(commands.pay, async ({ orderId, amount }, { tx }) => {
        await tx.query(sql.capture, [orderId, amount]);
        return { paymentId: `p-${orderId}` };
      }),
      handle(commands.refund, () => Promise.resolve({})),
    ],
  });
  return {
    start: () => Promise.all([inventory.start(), payment.start()]).then(() => undefined),
    stop: () => Promise.all([inventory.stop(), payment.stop()]).then(() => undefined),
  };
}

/** Runs `load.sagas` sagas, `load.concurrency` at a time (a closed loop). */
async function runLoad(
  orchestrator: Orchestrator,
  load: NonNullable<SagaProcessConfig['load']>,
  completion: (sagaId: string) => Promise<void>,
): Promise<LoadResult> {
  const durations: number[] = [];
  let next = 0;
  let firstCounted = Number.POSITIVE_INFINITY;
  let lastCompleted = 0;
  const worker = async (): Promise<void> => {
    while (next < load.sagas) {
      const n = next++;
      const sagaId = randomUUID();
      const completed = completion(sagaId);
      const begun = performance.now();
      if (n >= load.warmup) firstCounted = Math.min(firstCounted, begun);
      await orchestrator.begin(sagaId, order(n));
      await completed;
      const ended = performance.now();
      if (n >= load.warmup) {
        durations.push(ended - begun);
        lastCompleted = Math.max(lastCompleted, ended);
      }
    }
  };
  await Promise.all(Array.from({ length: load.concurrency }, worker));
  const seconds = (lastCompleted - firstCounted) / 1000;
  return {
    measured: durations.length,
    seconds,
    sagasPerSecond: durations.length / seconds,
    durationMs: summarize(durations),
  };
}

const SETTLE_SECONDS = 12;

/**
 * The process's memory once idle: a full GC every second for `SETTLE_SECONDS`, keeping the
 * sample with the lowest RSS. Freed memory goes back to the OS over seconds, not at the GC (V8's
 * memory reducer, the allocator's trimming), so a sample right after a burst of work still counts
 * memory nothing holds.
 */
async function settledMemory(): Promise<ReturnType<typeof processMemory>> {
  let lowest = processMemory();
  for (let second = 0; second < SETTLE_SECONDS; second++) {
    (globalThis as { gc?: () => void }).gc?.();
    await sleep(1000);
    const sample = processMemory();
    if (sample.vmRssKb < lowest.vmRssKb) lowest = sample;
  }
  return lowest;
}

/** Begins sagas nobody answers and reports the process's memory at each checkpoint. */
async function runWaiting(
  orchestrator: Orchestrator,
  pool: pg.Pool,
  checkpoints: readonly number[],
): Promise<void> {
  let begun = 0;
  for (const checkpoint of checkpoints) {
    const started = performance.now();
    let next = begun;
    const worker = async (): Promise<void> => {
      while (next < checkpoint) {
        const n = next++;
        await orchestrator.begin(randomUUID(), order(n));
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    const beginMs = performance.now() - started;
    begun = checkpoint;
    // Wait until the relay sent every command: the sagas now only wait for replies.
    for (;;) {
      const { rows } = await pool.query<{ n: number }>(
        'select count(*)::int as n from orders.saga_outbox where published_at is null',
      );
      if (rows[0]!.n === 0) break;
      await sleep(100);
    }
    const { rows } = await pool.query<{ n: number }>(
      `select count(*)::int as n from orders.saga_instances where status = 'RUNNING' and waiting = 'reply'`,
    );
    const beforeGc = processMemory();
    const settled = await settledMemory();
    sendToParent({
      type: 'waiting',
      waiting: rows[0]!.n,
      beginMs,
      beforeGc,
      ...settled,
    });
  }
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as SagaProcessConfig;
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: config.poolSize });
  pool.on('error', () => undefined);
  await pool.query('select 1');
  const waiters = new Map<string, () => void>();
  const completion = (sagaId: string): Promise<void> =>
    new Promise((resolve) => waiters.set(sagaId, resolve));
  const onCompleted = (sagaId: string): void => {
    waiters.get(sagaId)?.();
    waiters.delete(sagaId);
  };
  const kafka = testKafka(config.brokers, `bench-saga-${config.system}`);
  const common = {
    pool,
    kafka,
    prefix: config.prefix,
    partitionsConsumedConcurrently: config.partitions,
    onError: (error: Error) =>
      sendToParent({ type: 'error', message: error.stack ?? error.message }),
  };
  const service =
    config.role === 'participants'
      ? config.system === 'library'
        ? libraryParticipants(config, pool)
        : config.system === 'baseline'
          ? new BaselineParticipants(common)
          : new BareParticipants(common)
      : config.system === 'library'
        ? libraryOrchestrator(config, pool, onCompleted)
        : config.system === 'baseline'
          ? new BaselineOrchestrator({ ...common, onCompleted })
          : new BareOrchestrator({ ...common, onCompleted });
  sendToParent({ type: 'ready', ...processMemory() });

  const run = async (): Promise<void> => {
    await service.start();
    sendToParent({ type: 'started', ...processMemory() });
    if (config.role !== 'orchestrator') return;
    const orchestrator = service as Orchestrator;
    if (config.load) {
      const result = await runLoad(orchestrator, config.load, completion);
      sendToParent({ type: 'done', result, ...processMemory() });
    } else if (config.rss) {
      await runWaiting(orchestrator, pool, config.rss.checkpoints);
    }
  };
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await service.stop();
      await pool.end();
      sendToParent({ type: 'stopped', ...processMemory() });
    })());
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line === 'go')
      run().catch((error: Error) =>
        sendToParent({ type: 'error', message: error.stack ?? error.message }),
      );
    else if (line === 'stop') void stop();
  });
  // The parent went away: do not outlive it.
  lines.on('close', () => void stop());
}

main().catch((error: Error) => {
  sendToParent({ type: 'error', message: error.stack ?? error.message });
  process.exitCode = 1;
});

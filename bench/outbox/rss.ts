/**
 * Scenario 3: the relay's peak resident memory while draining backlogs of different sizes.
 * The relay holds one batch at a time, so its peak should not grow with the backlog. Each
 * backlog is drained by a fresh relay process (relayProcess.ts) on a database of its own;
 * the peak is the process's VmHWM, cross-checked by sampling VmRSS every 20 ms.
 */
import { uniqueName } from '@trackops/testkit/helpers';
import { measureChild } from '../lib/childProcess.js';
import { Cleanup } from '../lib/cleanup.js';
import { round } from '../lib/stats.js';
import {
  benchTopic,
  fillOutbox,
  outboxDatabase,
  routeFor,
  waitForRecords,
  type BenchContext,
} from './fixture.js';
import { spawnRelay } from './relayChild.js';

export interface RssResult {
  backlog: number;
  /** VmHWM once modules are loaded and the pool is open, before the relay starts. */
  baselineMb: number;
  /** VmHWM after the drain: the process's peak. */
  peakMb: number;
  /** Highest VmRSS sampled during the drain. */
  sampledPeakMb: number;
  /** Peak minus baseline: what draining added. */
  drainDeltaMb: number;
  /** Drain speed in this process (relay start → `expected` published). */
  eventsPerSecond: number;
}

export interface RssReport {
  results: RssResult[];
  /** Peak of the largest backlog over peak of the smallest (1.0 = flat). */
  peakRatio: number;
  backlogRatio: number;
}

export async function runRss(
  ctx: BenchContext,
  options: { backlogs: readonly number[]; batchSize: number },
): Promise<RssReport> {
  const results: RssResult[] = [];
  for (const backlog of options.backlogs) {
    results.push(await measure(ctx, backlog, options.batchSize));
    const last = results.at(-1)!;
    ctx.log(`rss: ${backlog} events → peak ${last.peakMb} MB (baseline ${last.baselineMb} MB)`);
  }
  const first = results[0]!;
  const last = results.at(-1)!;
  return {
    results,
    peakRatio: round(last.peakMb / first.peakMb, 3),
    backlogRatio: last.backlog / first.backlog,
  };
}

async function measure(ctx: BenchContext, backlog: number, batchSize: number): Promise<RssResult> {
  const cleanup = new Cleanup();
  try {
    const db = await outboxDatabase(ctx, cleanup, 'rss');
    await fillOutbox(db.pool, backlog, { oneTransaction: false });
    await db.pool.query('vacuum analyze outbox');
    const prefix = uniqueName('bench_rss');
    const topic = await benchTopic(ctx, cleanup, prefix);
    const relay = await spawnRelay({
      databaseUrl: db.url,
      brokers: ctx.stack.KAFKA_BROKERS,
      route: routeFor(prefix),
      batchSize,
      expected: backlog,
    });
    cleanup.defer('stop relay process', async () => void (await relay.stop()));
    const { done: drained, ...memory } = await measureChild(relay, 20, async () => {
      const drained = await relay.next('drained', 15 * 60_000);
      await waitForRecords(ctx, topic, backlog, 60_000);
      return drained;
    });
    return {
      backlog,
      baselineMb: memory.baselineMb,
      peakMb: memory.peakMb,
      sampledPeakMb: memory.sampledPeakMb,
      drainDeltaMb: memory.addedMb,
      eventsPerSecond: Math.round(backlog / (drained.ms / 1000)),
    };
  } finally {
    await cleanup.run();
  }
}

/**
 * Scenario 2: a hot-key workload, with and without single-flight. Readers (many at once) ask
 * for one hot key 80 % of the time and for one of `keys` others otherwise; a writer
 * invalidates the hot key every `invalidateEveryMs` (as frequent updates of a popular row
 * would). The loader is a real PostgreSQL query taking ~2 ms. Measured: hit ratio, loads
 * (database queries) per second and read latency.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCache } from '@trackops/cache';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { round, summarize, type Summary } from '../lib/stats.js';

export interface HotKeyOptions {
  seconds: number;
  concurrency: number;
  keys: number;
  invalidateEveryMs: number;
}

export interface HotKeyResult {
  system: 'single-flight' | 'no-single-flight';
  reads: number;
  hitRatio: number;
  loads: number;
  loadsPerSecond: number;
  /** Loads of the hot key alone. */
  hotLoads: number;
  hotInvalidations: number;
  latencyMs: Summary;
}

export async function runHotKey(
  redis: Redis,
  pool: pg.Pool,
  keyPrefix: string,
  system: HotKeyResult['system'],
  options: HotKeyOptions,
): Promise<HotKeyResult> {
  const cache = createCache<{ id: string; n: number }>({
    redis,
    keyPrefix,
    namespace: `hot-${system}`,
    ttlMs: 60_000,
    commandTimeoutMs: 5_000,
    singleFlight: system === 'single-flight',
  });
  let hotLoads = 0;
  const loader = (key: string) => async () => {
    if (key === 'hot') hotLoads++;
    const { rows } = await pool.query<{ n: number }>(
      'select pg_sleep(0.002), length($1::text) as n',
      [key],
    );
    return { id: key, n: rows[0]!.n };
  };
  const latencies: number[] = [];
  const deadline = performance.now() + options.seconds * 1000;
  let invalidations = 0;
  const invalidator = (async () => {
    while (performance.now() < deadline) {
      await sleep(options.invalidateEveryMs);
      await cache.invalidate('hot');
      invalidations++;
    }
  })();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < deadline) {
        const key = Math.random() < 0.8 ? 'hot' : `k${Math.floor(Math.random() * options.keys)}`;
        const t0 = performance.now();
        await cache.getOrLoad(key, loader(key));
        latencies.push(performance.now() - t0);
      }
    }),
  );
  await invalidator;
  const stats = cache.stats();
  return {
    system,
    reads: latencies.length,
    hitRatio: round(stats.hitRatio, 4),
    loads: stats.loads,
    loadsPerSecond: Math.round(stats.loads / options.seconds),
    hotLoads,
    hotInvalidations: invalidations,
    latencyMs: summarize(latencies),
  };
}

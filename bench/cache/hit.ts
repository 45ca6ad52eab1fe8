/**
 * Scenario 1: cache-hit reads. `cache.getOrLoad` on keys that are all cached, against raw
 * ioredis on the same bytes: `GET` + `JSON.parse` (what a hand-written cache does to hand back
 * a value) against the cache with its JSON serializer, and bare `GET` (bytes only) against the
 * cache with an identity serializer (bytes only). Same Redis, same client, same value (~1 KiB
 * of JSON), same concurrency; systems alternate by round.
 */
import { performance } from 'node:perf_hooks';
import { createCache } from '@trackops/cache';
import type { Redis } from 'ioredis';
import { median, round, summarize, type Summary } from '../lib/stats.js';

export interface HitOptions {
  ops: number;
  concurrency: number;
  rounds: number;
  keys: number;
}

export interface HitResult {
  round: number;
  system: 'raw-get' | 'raw-get+parse' | 'cache-hit' | 'cache-hit-bytes';
  opsPerSecond: number;
  latencyUs: Summary;
}

/** A ~1 KiB order, as an application caches it. */
export function sampleValue(id: number) {
  return {
    id,
    customerId: id % 97,
    status: 'CONFIRMED',
    createdAt: '2026-11-27T08:35:00.000Z',
    shippingAddress: { street: '1 Long Street', city: 'Springfield', zip: '12345', country: 'DE' },
    items: Array.from({ length: 8 }, (_, i) => ({
      sku: `SKU-${id}-${i}-abcdefghij`,
      name: `Item number ${i} of order ${id}, with a description`,
      quantity: 1 + (i % 3),
      price: '19.99',
    })),
  };
}

async function drive(
  ops: number,
  concurrency: number,
  read: (index: number) => Promise<unknown>,
): Promise<{ seconds: number; latencies: number[] }> {
  const latencies = new Array<number>(ops);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ops) {
        const index = next++;
        const t0 = performance.now();
        await read(index);
        latencies[index] = (performance.now() - t0) * 1000;
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, latencies };
}

export async function runHit(
  redis: Redis,
  keyPrefix: string,
  options: HitOptions,
  log: (message: string) => void,
): Promise<{ results: HitResult[]; ratioVsParse: number; ratioVsGet: number; valueBytes: number }> {
  const cache = createCache<ReturnType<typeof sampleValue>>({
    redis,
    keyPrefix,
    namespace: 'hit',
    ttlMs: 3_600_000,
    commandTimeoutMs: 5_000,
  });
  // The same bytes handed back as bytes: the cache's own cost, without JSON on either side.
  const bytesCache = createCache<Buffer>({
    redis,
    keyPrefix,
    namespace: 'hit-bytes',
    ttlMs: 3_600_000,
    commandTimeoutMs: 5_000,
    serializer: { serialize: (bytes) => bytes, deserialize: (bytes) => bytes },
  });
  const rawKey = (i: number) => `${keyPrefix}raw:${i}`;
  for (let i = 0; i < options.keys; i++) {
    const value = sampleValue(i);
    await cache.getOrLoad(String(i), () => Promise.resolve(value));
    await bytesCache.getOrLoad(String(i), () =>
      Promise.resolve(Buffer.from(JSON.stringify(value))),
    );
    await redis.set(rawKey(i), JSON.stringify(value));
  }
  const setupMisses = cache.stats().misses + bytesCache.stats().misses;
  const valueBytes = Buffer.byteLength(JSON.stringify(sampleValue(0)));
  const never = () => Promise.reject(new Error('the hit benchmark must not miss'));
  const systems: Record<HitResult['system'], (i: number) => Promise<unknown>> = {
    'raw-get': (i) => redis.getBuffer(rawKey(i % options.keys)),
    'raw-get+parse': async (i) =>
      JSON.parse((await redis.get(rawKey(i % options.keys)))!) as unknown,
    'cache-hit': (i) => cache.getOrLoad(String(i % options.keys), never),
    'cache-hit-bytes': (i) => bytesCache.getOrLoad(String(i % options.keys), never),
  };
  // Warm-up: JIT and connection.
  for (const read of Object.values(systems)) await drive(5_000, options.concurrency, read);

  const results: HitResult[] = [];
  const ratiosParse: number[] = [];
  const ratiosGet: number[] = [];
  for (let r = 1; r <= options.rounds; r++) {
    const order = Object.keys(systems) as Array<HitResult['system']>;
    if (r % 2 === 0) order.reverse();
    const byName: Partial<Record<HitResult['system'], HitResult>> = {};
    for (const system of order) {
      const { seconds, latencies } = await drive(options.ops, options.concurrency, systems[system]);
      const result: HitResult = {
        round: r,
        system,
        opsPerSecond: Math.round(options.ops / seconds),
        latencyUs: summarize(latencies),
      };
      byName[system] = result;
      results.push(result);
      log(
        `hit round ${r}: ${system} ${result.opsPerSecond.toLocaleString('en-US')} ops/s, p99 ${round(result.latencyUs.p99, 0)} µs`,
      );
    }
    ratiosParse.push(byName['cache-hit']!.opsPerSecond / byName['raw-get+parse']!.opsPerSecond);
    ratiosGet.push(byName['cache-hit-bytes']!.opsPerSecond / byName['raw-get']!.opsPerSecond);
  }
  const misses = cache.stats().misses + bytesCache.stats().misses - setupMisses;
  if (misses > 0) throw new Error(`hit benchmark missed ${misses} times`);
  return {
    results,
    ratioVsParse: round(median(ratiosParse), 3),
    ratioVsGet: round(median(ratiosGet), 3),
    valueBytes,
  };
}

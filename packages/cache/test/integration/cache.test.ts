/**
 * The cache-aside API on the stack's real Redis: hits and misses, single-flight, negative
 * caching, TTL with jitter, stale-while-revalidate, tags, mget, bulk invalidation, leases and
 * version-guarded warming, and reads falling back to the loader while Redis is away.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { stackEndpoints, testRedis } from '@trackops/testkit';
import {
  createCache,
  checkConsistency,
  type Cache,
  type CacheOptions,
  type Serializer,
} from '@trackops/cache';
import { startRedisProxy } from './support/redisProxy.js';

/** A promise and its resolver, to hold a loader at a chosen point. */
function barrier<T = void>() {
  let open!: (value: T) => void;
  const opened = new Promise<T>((resolve) => (open = resolve));
  return { open, opened };
}

describe('the cache on real Redis', () => {
  const stack = stackEndpoints();
  const { redis, keyPrefix } = testRedis(stack.REDIS_URL, 'cache');
  const cleanups: Array<() => Promise<unknown>> = [];
  const cache = <T>(namespace: string, options: Partial<CacheOptions<T>> = {}): Cache<T> =>
    // A generous deadline: these tests are about the API, not about a slow Redis, and the
    // machine is shared with other test runs (the outage test sets its own).
    createCache<T>({ redis, keyPrefix, namespace, commandTimeoutMs: 5_000, ...options });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('loads on a miss, then serves hits from Redis', async () => {
    const users = cache<{ name: string }>('users');
    let loads = 0;
    const loader = () => Promise.resolve({ name: `ada ${++loads}` });
    expect(await users.getOrLoad('1', loader)).toEqual({ name: 'ada 1' });
    expect(await users.getOrLoad('1', loader)).toEqual({ name: 'ada 1' });
    expect(await users.get('1')).toEqual({ name: 'ada 1' });
    expect(loads).toBe(1);
    // The entry is really in Redis, under the namespace, after its 36-byte header.
    const raw = await redis.get(`${keyPrefix}users:v:1`);
    expect(raw?.slice(36)).toBe('{"name":"ada 1"}');
    expect(users.stats()).toMatchObject({
      hits: 2,
      misses: 1,
      loads: 1,
      fills: 1,
      hitRatio: 2 / 3,
    });
  });

  it('single-flight: 100 concurrent misses on one key cause one load', async () => {
    const hot = cache<number>('hot');
    let loads = 0;
    const gate = barrier();
    const loader = async () => {
      loads++;
      await gate.opened;
      return 42;
    };
    const reads = Array.from({ length: 100 }, () => hot.getOrLoad('k', loader));
    await sleep(50);
    gate.open();
    expect(await Promise.all(reads)).toEqual(Array(100).fill(42));
    expect(loads).toBe(1);
    expect(hot.stats()).toMatchObject({ misses: 100, loads: 1, fills: 1 });
    // …and without single-flight, the lease still lets only one of them fill.
    const noFlight = cache<number>('hot2', { singleFlight: false });
    let loads2 = 0;
    await Promise.all(
      Array.from({ length: 20 }, () => noFlight.getOrLoad('k', () => Promise.resolve(++loads2))),
    );
    expect(loads2).toBe(20);
    expect(noFlight.stats().fills).toBe(1);
  });

  it('caches "not found" for negativeTtlMs, then asks again', async () => {
    const users = cache<string>('negative', { negativeTtlMs: 150, ttlJitter: 0 });
    let loads = 0;
    const loader = () => {
      loads++;
      return Promise.resolve(undefined);
    };
    expect(await users.getOrLoad('ghost', loader)).toBeUndefined();
    expect(await users.getOrLoad('ghost', loader)).toBeUndefined();
    expect(loads).toBe(1);
    expect(users.stats().negativeHits).toBe(1);
    await sleep(200);
    expect(await users.getOrLoad('ghost', loader)).toBeUndefined();
    expect(loads).toBe(2);
  });

  it('spreads TTLs by the jitter and lets Redis expire entries', async () => {
    const jittered = cache<number>('jitter', { ttlMs: 10_000, ttlJitter: 0.2 });
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => jittered.getOrLoad(`k${i}`, () => Promise.resolve(i))),
    );
    const ttls = await Promise.all(
      Array.from({ length: 40 }, (_, i) => redis.pttl(`${keyPrefix}jitter:v:k${i}`)),
    );
    for (const ttl of ttls) {
      expect(ttl).toBeGreaterThan(7_900);
      expect(ttl).toBeLessThanOrEqual(12_000);
    }
    expect(new Set(ttls.map((ttl) => Math.round(ttl / 100))).size).toBeGreaterThan(5);
  });

  it('stale-while-revalidate: serves the stale value once past its TTL and refreshes it in the background', async () => {
    const prices = cache<number>('swr', {
      ttlMs: 100,
      ttlJitter: 0,
      staleWhileRevalidateMs: 5_000,
    });
    let price = 1;
    let loads = 0;
    const loader = () => {
      loads++;
      return Promise.resolve(price);
    };
    expect(await prices.getOrLoad('p', loader)).toBe(1);
    price = 2;
    await sleep(150);
    expect(await prices.getOrLoad('p', loader)).toBe(1); // stale, served at once
    await expect.poll(() => prices.get('p'), { timeout: 2_000 }).toBe(2);
    expect(loads).toBe(2);
    expect(prices.stats()).toMatchObject({ staleHits: 1 });
    // An invalidated entry is never served stale: invalidation deletes it.
    price = 3;
    await sleep(150);
    await prices.invalidate('p');
    expect(await prices.getOrLoad('p', loader)).toBe(3);
  });

  it('invalidates by tag, including a fill in flight whose key is not in the tag yet', async () => {
    const orders = cache<string>('tags');
    await orders.getOrLoad('o1', () => Promise.resolve('o1 v1'), { tags: ['customer:7'] });
    await orders.getOrLoad('o2', () => Promise.resolve('o2 v1'), { tags: ['customer:7', 'day:1'] });
    await orders.getOrLoad('o3', () => Promise.resolve('o3 v1'), { tags: ['customer:8'] });
    // o4's loader reads, then the tag is invalidated, then it tries to fill.
    const gate = barrier();
    const inFlight = orders.getOrLoad(
      'o4',
      async () => {
        await gate.opened;
        return 'o4 old';
      },
      { tags: ['customer:7'] },
    );
    await sleep(30);
    expect(await orders.invalidateTags('customer:7')).toBe(2);
    gate.open();
    expect(await inFlight).toBe('o4 old');
    expect(await orders.mget(['o1', 'o2', 'o3', 'o4'])).toEqual([
      undefined,
      undefined,
      'o3 v1',
      undefined,
    ]);
    expect(orders.stats().fillsRefused).toBe(1);
  });

  it('mget reads many in one round trip; invalidate deletes many at once', async () => {
    const items = cache<number>('bulk');
    await Promise.all(
      Array.from({ length: 1200 }, (_, i) => items.getOrLoad(`i${i}`, () => Promise.resolve(i))),
    );
    const keys = Array.from({ length: 1200 }, (_, i) => `i${i}`);
    expect(await items.mget(keys)).toEqual(keys.map((_, i) => i));
    expect(await items.invalidate(keys.slice(0, 1100))).toBe(1100);
    const after = await items.mget(keys);
    expect(after.filter((value) => value !== undefined)).toHaveLength(100);
    expect(items.stats().invalidations).toBe(1100);
  });

  it('closes the stale-fill race: a fill that read before an invalidation does not land', async () => {
    const rows = cache<string>('race');
    let row = 'old';
    const read = barrier();
    const release = barrier();
    const reader = rows.getOrLoad('r', async () => {
      const seen = row; // the database read
      read.open();
      await release.opened;
      return seen;
    });
    await read.opened;
    row = 'new'; // the writer commits …
    await rows.invalidate('r', 1000n); // … and its invalidation arrives
    release.open();
    expect(await reader).toBe('old'); // that caller saw the old row, as it read it
    expect(await rows.get('r')).toBeUndefined(); // but it was not put back
    expect(await rows.getOrLoad('r', () => Promise.resolve(row))).toBe('new');
    expect(rows.stats().fillsRefused).toBe(1);
  });

  it('warms only with newer versions; a tombstone stops an older warm and a fill keeps its version', async () => {
    const rows = cache<string>('warm');
    expect(await rows.warm('w', 'v10', 10n)).toBe(true);
    expect(await rows.warm('w', 'v9', 9n)).toBe(false);
    expect(await rows.warm('w', 'v10 again', 10n)).toBe(false);
    expect(await rows.get('w')).toBe('v10');
    await rows.invalidate('w', 20n); // a delete at LSN 20
    expect(await rows.warm('w', 'v15', 15n)).toBe(false); // redelivered older insert: refused
    expect(await rows.get('w')).toBeUndefined();
    // A fill after the delete carries the tombstone's version: an old warm cannot replace it.
    expect(await rows.getOrLoad('w', () => Promise.resolve('loaded'))).toBe('loaded');
    await redis.del(`${keyPrefix}warm:t:w`);
    expect(await rows.warm('w', 'v15', 15n)).toBe(false);
    expect(await rows.warm('w', 'v30', 30n)).toBe(true);
    expect(await rows.get('w')).toBe('v30');
    expect(rows.stats()).toMatchObject({ warms: 2, warmsRefused: 4 });
  });

  it('a warm deletes the lease: a fill that read before the change does not land after it', async () => {
    const rows = cache<string>('warmrace');
    const release = barrier();
    const reader = rows.getOrLoad('x', async () => {
      await release.opened;
      return 'read before the change';
    });
    await sleep(30);
    expect(await rows.warm('x', 'new image', 5n)).toBe(true);
    release.open();
    await reader;
    expect(await rows.get('x')).toBe('new image');
  });

  it('takes a pluggable serializer', async () => {
    const bigints: Serializer<bigint> = {
      serialize: (value) => value.toString(),
      deserialize: (bytes) => BigInt(bytes.toString()),
    };
    const counters = cache<bigint>('serializer', { serializer: bigints });
    expect(await counters.getOrLoad('c', () => Promise.resolve(2n ** 70n))).toBe(2n ** 70n);
    expect(await counters.get('c')).toBe(2n ** 70n);
  });

  it('reads fall back to the loader while Redis is away, never throw, and resume after', async () => {
    const proxy = await startRedisProxy(stack.REDIS_URL);
    cleanups.push(() => proxy.close());
    const client = proxy.client();
    const rows = createCache<number>({
      redis: client,
      keyPrefix,
      namespace: 'outage',
      commandTimeoutMs: 100,
      breaker: { failureThreshold: 3, openMs: 300 },
    });
    let loads = 0;
    const loader = () => Promise.resolve(++loads);
    expect(await rows.getOrLoad('k', loader)).toBe(1);
    proxy.cut();
    const during: Array<number | undefined> = [];
    for (let i = 0; i < 30; i++) {
      const started = Date.now();
      during.push(await rows.getOrLoad('k', loader));
      expect(Date.now() - started).toBeLessThan(400);
    }
    expect(during.every((value) => typeof value === 'number')).toBe(true);
    const down = rows.stats();
    expect(down.breakerOpened).toBeGreaterThanOrEqual(1);
    expect(down.bypassed).toBeGreaterThan(0);
    expect(down.fallbacks).toBe(30);
    proxy.restore();
    await expect
      .poll(
        async () => {
          await rows.getOrLoad('k', loader);
          return rows.stats().breaker;
        },
        { timeout: 5_000, interval: 100 },
      )
      .toBe('closed');
    const before = loads;
    await rows.getOrLoad('k', loader);
    expect(loads).toBe(before); // a hit again
  });

  it('treats an entry that does not deserialize as a miss, reports it and replaces it', async () => {
    const errors: string[] = [];
    const rows = cache<{ n: number }>('corrupt', {
      onError: (error) => errors.push((error as Error & { code: string }).code),
    });
    await rows.getOrLoad('c', () => Promise.resolve({ n: 1 }));
    const raw = (await redis.get(`${keyPrefix}corrupt:v:c`))!;
    await redis.set(`${keyPrefix}corrupt:v:c`, `${raw.slice(0, 36)}{not json`);
    expect(await rows.getOrLoad('c', () => Promise.resolve({ n: 2 }))).toEqual({ n: 2 });
    expect(errors).toEqual(['CACHE_DESERIALIZE_FAILED']);
    expect(await rows.get('c')).toEqual({ n: 2 });
  });

  it('checkConsistency reports entries that disagree with the source', async () => {
    const rows = cache<string>('checker');
    const source = new Map([
      ['a', 'A'],
      ['b', 'B'],
      ['c', 'C'],
    ]);
    for (const key of source.keys())
      await rows.getOrLoad(key, () => Promise.resolve(source.get(key)));
    await rows.getOrLoad('d', () => Promise.resolve(undefined));
    const load = (key: string) => Promise.resolve(source.get(key));
    expect(await checkConsistency(rows, { load })).toMatchObject({ checked: 4, stale: [] });
    source.set('b', 'B2'); // changed behind the cache's back (no invalidation)
    source.delete('c');
    source.set('d', 'D');
    const report = await checkConsistency(rows, { load });
    expect(report.checked).toBe(4);
    expect(
      [...report.stale].sort((x, y) => x.key.localeCompare(y.key)).map((s) => [s.key, s.reason]),
    ).toEqual([
      ['b', 'different'],
      ['c', 'row-gone'],
      ['d', 'row-exists'],
    ]);
    expect(await checkConsistency(rows, { load, keys: ['a', 'zz'] })).toMatchObject({
      checked: 1,
      missing: 1,
    });
  });
});

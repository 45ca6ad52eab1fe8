/**
 * Reads when Redis cannot answer, without any server: a fake client whose commands hang
 * (a slow Redis) or fail (a refused connection). Options are checked here too.
 */
import { describe, expect, it } from 'vitest';
import { isTrackOpsError } from '@trackops/core';
import { createCache, type RedisClient } from '@trackops/cache';

function fakeRedis(behaviour: 'hang' | 'fail', keyPrefix?: string) {
  let commands = 0;
  const answer = (): Promise<never> => {
    commands++;
    return behaviour === 'hang'
      ? new Promise<never>(() => undefined)
      : Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1'));
  };
  const redis = {
    options: { keyPrefix },
    getBuffer: answer,
    mgetBuffer: answer,
    callBuffer: answer,
    scan: answer,
  } as unknown as RedisClient;
  return { redis, commands: () => commands };
}

describe('createCache options', () => {
  it('names the bad option', () => {
    const { redis } = fakeRedis('fail');
    expect(() => createCache({ redis, namespace: 'has space' })).toThrow(/namespace/);
    expect(() => createCache({ redis, namespace: 'x', ttlMs: 0 })).toThrow(/ttlMs/);
    expect(() =>
      createCache({ redis, namespace: 'x', leaseMs: 5000, tombstoneTtlMs: 5000 }),
    ).toThrow(/tombstoneTtlMs: must exceed leaseMs/);
    expect(() => createCache({ redis: {} as RedisClient, namespace: 'x' })).toThrow(
      /redis: must be an ioredis client/,
    );
    try {
      createCache({ redis: fakeRedis('fail', 'app:').redis, namespace: 'x' });
      expect.unreachable();
    } catch (error) {
      expect(isTrackOpsError(error, 'INVALID_OPTIONS')).toBe(true);
      expect((error as Error).message).toMatch(/redis: must have no keyPrefix/);
    }
  });
});

describe('reads with Redis unavailable', () => {
  it('answer from the loader within the command timeout when Redis hangs, and never throw', async () => {
    const { redis } = fakeRedis('hang');
    const cache = createCache<number>({ redis, namespace: 'slow', commandTimeoutMs: 30 });
    const started = Date.now();
    await expect(cache.getOrLoad('k', () => Promise.resolve(7))).resolves.toBe(7);
    // One GET timed out (30 ms); the loader answered. No lease was tried: Redis was unusable.
    expect(Date.now() - started).toBeLessThan(500);
    expect(cache.stats()).toMatchObject({
      misses: 1,
      loads: 1,
      fallbacks: 1,
      timeouts: 1,
      errors: 1,
    });
    await expect(cache.mget(['a', 'b'])).resolves.toEqual([undefined, undefined]);
  });

  it('opens the breaker after the threshold: later reads go straight to the loader', async () => {
    const { redis, commands } = fakeRedis('fail');
    const errors: string[] = [];
    const cache = createCache<string>({
      redis,
      namespace: 'down',
      breaker: { failureThreshold: 3, openMs: 60_000 },
      onError: (error) => errors.push((error as Error & { code: string }).code),
    });
    for (let i = 0; i < 10; i++) {
      await expect(cache.getOrLoad(`k${i}`, () => Promise.resolve(`v${i}`))).resolves.toBe(`v${i}`);
    }
    expect(commands()).toBe(3);
    const stats = cache.stats();
    expect(stats).toMatchObject({ breaker: 'open', breakerOpened: 1, loads: 10, fallbacks: 10 });
    expect(stats.bypassed).toBe(7);
    expect(errors.slice(0, 3)).toEqual([
      'CACHE_REDIS_FAILED',
      'CACHE_REDIS_FAILED',
      'CACHE_REDIS_FAILED',
    ]);
    // Bypassed commands are counted, not reported: an open breaker does not flood onError.
    expect(errors).toHaveLength(3);
  });

  it('still single-flights loads while falling back', async () => {
    const { redis } = fakeRedis('fail');
    const cache = createCache<number>({ redis, namespace: 'sf' });
    let loads = 0;
    const loader = async () => {
      loads++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return 1;
    };
    const values = await Promise.all(
      Array.from({ length: 50 }, () => cache.getOrLoad('hot', loader)),
    );
    expect(values).toEqual(Array(50).fill(1));
    expect(loads).toBe(1);
  });

  it('raise on invalidation, so a change is retried rather than forgotten', async () => {
    const { redis } = fakeRedis('fail');
    const cache = createCache<number>({ redis, namespace: 'inv' });
    await expect(cache.invalidate('k')).rejects.toMatchObject({
      name: 'CacheError',
      code: 'CACHE_REDIS_FAILED',
      retriable: true,
    });
    await expect(cache.warm('k', 1, 10n)).rejects.toMatchObject({ name: 'CacheError' });
  });

  it('propagate the loader’s own error and cache nothing', async () => {
    const { redis } = fakeRedis('fail');
    const cache = createCache<number>({ redis, namespace: 'err' });
    await expect(cache.getOrLoad('k', () => Promise.reject(new Error('db down')))).rejects.toThrow(
      'db down',
    );
    expect(cache.stats().loadErrors).toBe(1);
  });
});

import { Redis } from 'ioredis';
import { uniqueName } from './ids.js';

/** What {@link testRedis} returns. */
export interface TestRedis {
  /** A client of its own; `disconnect()` it in `afterAll`. */
  redis: Redis;
  /** `<prefix>_<random>:`, to put in front of every key the test writes. */
  keyPrefix: string;
}

/**
 * An ioredis client and a key prefix no other test file or run uses, so tests share a Redis
 * without seeing each other's keys.
 *
 * @param redisUrl - The server (`REDIS_URL`).
 * @param prefix - The start of the key prefix (see {@link uniqueName} for what it accepts).
 * @defaultValue `prefix`: `'test'`
 */
export function testRedis(redisUrl: string, prefix = 'test'): TestRedis {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  return { redis, keyPrefix: `${uniqueName(prefix)}:` };
}

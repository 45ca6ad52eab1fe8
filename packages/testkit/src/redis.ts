import { Redis } from 'ioredis';
import { uniqueName } from './ids.js';

/** An ioredis client on the stack's Redis and a key prefix no other test uses. */
export function testRedis(redisUrl: string, prefix = 'test'): { redis: Redis; keyPrefix: string } {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  return { redis, keyPrefix: `${uniqueName(prefix)}:` };
}

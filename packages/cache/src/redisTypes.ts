/**
 * ioredis is a peer dependency: callers pass their own client, so its type is ioredis' own.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';

/** An ioredis client (`new Redis(url)`), the caller's: the cache never opens or closes one. */
export type RedisClient = Redis;

/** The option check of an ioredis client, by shape (as everywhere in TrackOps). */
export const redisOption = () =>
  z
    .custom<Redis>(
      (value) =>
        typeof (value as Redis | undefined)?.getBuffer === 'function' &&
        typeof (value as Redis | undefined)?.callBuffer === 'function' &&
        typeof (value as Redis | undefined)?.scan === 'function',
      { message: 'must be an ioredis client (Redis instance)' },
    )
    .refine((redis) => !redis.options?.keyPrefix, {
      message:
        "must have no keyPrefix of its own (scripts and SCAN do not see it); use the cache's keyPrefix option",
    });

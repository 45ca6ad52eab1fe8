/**
 * The options of a cache (one zod schema: types and defaults come from it), its per-call
 * options and its instrumentation events.
 */
import { optionTypes } from '@trackops/core';
import { z } from 'zod';
import type { BreakerState } from './breaker.js';
import type { CacheError } from './errors.js';
import { redisOption } from './redisTypes.js';
import type { Serializer } from './serializer.js';

/** Options of `createCache`. */
export const cacheOptionsSchema = z
  .object({
    /** The ioredis client (yours: the cache never opens or closes connections). */
    redis: redisOption(),
    /**
     * The namespace of this cache's keys: one cache per kind of value (`orders`, `order-lists`).
     * Letters, digits, `_`, `-` and `.`.
     */
    namespace: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'must be 1–100 of A-Z a-z 0-9 _ - .'),
    /** Prefix of every Redis key, before the namespace. @defaultValue `'trackops:cache:'` */
    keyPrefix: z.string().default('trackops:cache:'),
    /** How long an entry is fresh. @defaultValue 300000 (5 minutes) */
    ttlMs: z.int().min(1).default(300_000),
    /**
     * Spread of each entry's TTL: a fraction f makes it `ttlMs × (1 ± f)`, uniformly, so keys
     * filled together do not expire together. @defaultValue 0.1
     */
    ttlJitter: z.number().min(0).max(0.9).default(0.1),
    /**
     * How long past its TTL an entry may still be served while one background load refreshes it.
     * 0 turns stale-while-revalidate off. Invalidated entries are never served: invalidation
     * deletes them. @defaultValue 0
     */
    staleWhileRevalidateMs: z.int().min(0).default(0),
    /**
     * How long "the loader found nothing" is cached (the loader returned `undefined`).
     * 0 turns negative caching off. @defaultValue 30000
     */
    negativeTtlMs: z.int().min(0).default(30_000),
    /**
     * Lifetime of a fill's lease: a load that takes longer loses its right to fill (it still
     * returns its value). @defaultValue 10000
     */
    leaseMs: z.int().min(1).default(10_000),
    /**
     * How long an invalidation's tombstone (and a tag's version) is kept: older change events
     * redelivered within it cannot write an entry back. Must exceed `leaseMs`.
     * @defaultValue 60000
     */
    tombstoneTtlMs: z.int().min(1).default(60_000),
    /**
     * Longest wait for one Redis command; past it, reads fall back to the loader.
     * @defaultValue 250
     */
    commandTimeoutMs: z.int().min(1).default(250),
    /** The circuit breaker in front of Redis. @defaultValue `{}` */
    breaker: z
      .object({
        /** Consecutive failures (errors or timeouts) that open it. @defaultValue 5 */
        failureThreshold: z.int().min(1).default(5),
        /** How long it stays open before one probe command is let through. @defaultValue 1000 */
        openMs: z.int().min(1).default(1_000),
      })
      .strict()
      .prefault({}),
    /**
     * One load per key per process at a time: concurrent misses of a key share its load.
     * @defaultValue true
     */
    singleFlight: z.boolean().default(true),
    /** How values become bytes; JSON when not given. */
    serializer: z
      .custom<Serializer<unknown>>(
        (value) =>
          typeof (value as Serializer<unknown> | undefined)?.serialize === 'function' &&
          typeof (value as Serializer<unknown> | undefined)?.deserialize === 'function',
        { message: 'must have serialize() and deserialize()' },
      )
      .optional(),
    logger: optionTypes.logger().optional(),
    /** Redis failures (also counted in the stats); reads never raise them. */
    onError: optionTypes.fn<(error: Error) => void>().optional(),
  })
  .strict()
  .refine((options) => options.tombstoneTtlMs > options.leaseMs, {
    message:
      'must exceed leaseMs, or a tag invalidation could be forgotten before a fill that predates it',
    path: ['tombstoneTtlMs'],
  });

/**
 * Options of `createCache`, as given.
 *
 * @typeParam T - The cached value type.
 */
export type CacheOptions<T> = Omit<z.input<typeof cacheOptionsSchema>, 'serializer'> & {
  /** How values become bytes; JSON when not given. */
  serializer?: Serializer<T>;
};

/** Per-call options of `Cache.getOrLoad`. */
export interface GetOrLoadOptions {
  /** This entry's TTL instead of the cache's `ttlMs`. */
  readonly ttlMs?: number;
  /**
   * Tags of this entry: `Cache.invalidateTags` invalidates every entry carrying one
   * (e.g. `customer:7` on each of that customer's orders).
   */
  readonly tags?: readonly string[];
}

/** Instrumentation events of a cache (see `Cache.on`). */
export interface CacheEvents {
  [event: string]: unknown;
  /** Keys were invalidated (API, tag or CDC); `existed` counts the entries deleted. */
  'cache:invalidated': {
    namespace: string;
    keys: readonly string[];
    version: string;
    existed: number;
  };
  /** A tag was invalidated with `members` keys. */
  'cache:tag:invalidated': { namespace: string; tag: string; members: number };
  /** A change's row image was offered; `applied` false means an entry at least as new was there. */
  'cache:warmed': { namespace: string; key: string; version: string; applied: boolean };
  /** A fill was refused: the key was invalidated or warmed since its miss (the race closed). */
  'cache:fill:refused': { namespace: string; key: string };
  /** The circuit breaker changed state. */
  'cache:breaker': { namespace: string; state: BreakerState };
  /** A Redis command failed or timed out (commands the open breaker skips are only counted). */
  'cache:redis:error': { namespace: string; operation: string; error: CacheError };
}

/** Resolved options. @internal */
export type ResolvedCacheOptions = z.output<typeof cacheOptionsSchema>;

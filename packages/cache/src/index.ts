/**
 * Cache-aside on Redis kept correct by CDC invalidation and warming.
 *
 * - {@link createCache}: a cache of one namespace on your ioredis client —
 *   {@link Cache.getOrLoad} with single-flight, negative caching, TTL jitter,
 *   stale-while-revalidate and tags; {@link Cache.mget}, {@link Cache.invalidate},
 *   {@link Cache.invalidateTags}, {@link Cache.warm}, {@link Cache.stats}. Fills hold a lease and
 *   land only if no invalidation happened since their miss; warms are version-guarded by the
 *   change's LSN; invalidations leave short-lived tombstones.
 * - {@link createCacheInvalidator} with {@link bindTable} / {@link bindRows} and the targets
 *   {@link warmEntries}, {@link invalidateEntries}, {@link invalidateTagged}: Debezium change
 *   events (through `@trackops/cdc`) warm or invalidate the entries of each changed row,
 *   derived keys included; offsets are committed only after Redis applied the change.
 * - {@link checkConsistency}: samples cached entries and reports the stale ones.
 * - {@link CacheError}: Redis failed, timed out or was skipped by the circuit breaker. Reads
 *   never raise it.
 *
 * @packageDocumentation
 */

/**
 * The version of this package, equal to the `version` in its package.json.
 */
export const VERSION = '0.0.0';

export { createCache, Cache, type Loader } from './cache.js';
export {
  cacheOptionsSchema,
  type CacheOptions,
  type CacheEvents,
  type GetOrLoadOptions,
} from './options.js';
export type { CacheStats } from './stats.js';
export type { BreakerState } from './breaker.js';
export { jsonSerializer, type Serializer } from './serializer.js';
export { CacheError, type CacheErrorCode, type CacheErrorOptions } from './errors.js';
export type { RedisClient } from './redisTypes.js';
export {
  bindTable,
  bindRows,
  warmEntries,
  invalidateEntries,
  invalidateTagged,
  type CacheBinding,
  type CacheTarget,
  type ChangeImages,
  type KeysOf,
} from './binding.js';
export {
  createCacheInvalidator,
  cacheInvalidatorOptionsSchema,
  CacheInvalidator,
  type CacheInvalidatorOptions,
  type CacheInvalidatorEvents,
} from './invalidator.js';
export {
  checkConsistency,
  type ConsistencyCheckOptions,
  type ConsistencyReport,
  type StaleEntry,
} from './checker.js';

import { TrackOpsError, type TrackOpsErrorOptions } from '@trackops/core';

/**
 * The codes of {@link CacheError}:
 * - `CACHE_REDIS_FAILED` — a Redis command failed (connection refused, reset, a script error).
 * - `CACHE_REDIS_TIMEOUT` — a Redis command did not answer within `commandTimeoutMs`.
 * - `CACHE_CIRCUIT_OPEN` — the circuit breaker is open, so Redis was not asked at all.
 * - `CACHE_DESERIALIZE_FAILED` — a cached entry could not be read back by the serializer.
 *
 * Reads never raise any of these to the caller of `getOrLoad`: they fall back to the loader.
 * Invalidations and warming raise them, so the CDC invalidator retries the change and does not
 * commit its offset.
 */
export type CacheErrorCode =
  'CACHE_REDIS_FAILED' | 'CACHE_REDIS_TIMEOUT' | 'CACHE_CIRCUIT_OPEN' | 'CACHE_DESERIALIZE_FAILED';

/** Options of {@link CacheError}. */
export type CacheErrorOptions = TrackOpsErrorOptions<CacheErrorCode>;

/**
 * An error of `@trackops/cache`: Redis unreachable, slow or refused by the breaker, or an entry
 * that does not deserialize. Every code but `CACHE_DESERIALIZE_FAILED` is retriable.
 */
export class CacheError extends TrackOpsError<CacheErrorCode> {
  override name = 'CacheError';
}

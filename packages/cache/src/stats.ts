import type { BreakerState } from './breaker.js';

/**
 * Counters of one cache since it was created (fixed fields: memory does not grow with keys).
 * Read a snapshot with `cache.stats()`.
 */
export interface CacheStats {
  /** Reads answered from Redis with a fresh entry (negative entries included). */
  readonly hits: number;
  /** Of `hits`, entries saying "no such row" (negative caching). */
  readonly negativeHits: number;
  /** Reads answered with a stale entry while it is refreshed in the background. */
  readonly staleHits: number;
  /** Reads that found no entry (or could not ask Redis) and went to the loader. */
  readonly misses: number;
  /** Loader calls (single-flight shares one between concurrent misses of a key). */
  readonly loads: number;
  /** Loader calls that threw (the error goes to the callers; nothing is cached). */
  readonly loadErrors: number;
  /** Fills that landed in Redis. */
  readonly fills: number;
  /** Fills refused because an invalidation or warm happened since the miss (the race closed). */
  readonly fillsRefused: number;
  /** Misses that found another process filling the key: loaded, not filled. */
  readonly leaseBusy: number;
  /** Keys invalidated (by the API, a tag or the CDC invalidator). */
  readonly invalidations: number;
  /** Entries written from a change event's new row image. */
  readonly warms: number;
  /** Warms refused because the entry or its tombstone was already at a newer version. */
  readonly warmsRefused: number;
  /** Redis commands that failed or timed out. */
  readonly errors: number;
  /** Of `errors`, commands that did not answer within `commandTimeoutMs`. */
  readonly timeouts: number;
  /** Commands not sent because the circuit breaker was open. */
  readonly bypassed: number;
  /** Reads served by the loader because Redis failed, timed out or was bypassed. */
  readonly fallbacks: number;
  /** How many times the breaker opened. */
  readonly breakerOpened: number;
  /** The breaker now. */
  readonly breaker: BreakerState;
  /** `(hits + staleHits) / (hits + staleHits + misses)`, 0 before the first read. */
  readonly hitRatio: number;
}

/** The mutable counters behind {@link CacheStats}. @internal */
export class Counters {
  hits = 0;
  negativeHits = 0;
  staleHits = 0;
  misses = 0;
  loads = 0;
  loadErrors = 0;
  fills = 0;
  fillsRefused = 0;
  leaseBusy = 0;
  invalidations = 0;
  warms = 0;
  warmsRefused = 0;
  errors = 0;
  timeouts = 0;
  bypassed = 0;
  fallbacks = 0;

  snapshot(breaker: BreakerState, breakerOpened: number): CacheStats {
    const served = this.hits + this.staleHits;
    const reads = served + this.misses;
    return {
      hits: this.hits,
      negativeHits: this.negativeHits,
      staleHits: this.staleHits,
      misses: this.misses,
      loads: this.loads,
      loadErrors: this.loadErrors,
      fills: this.fills,
      fillsRefused: this.fillsRefused,
      leaseBusy: this.leaseBusy,
      invalidations: this.invalidations,
      warms: this.warms,
      warmsRefused: this.warmsRefused,
      errors: this.errors,
      timeouts: this.timeouts,
      bypassed: this.bypassed,
      fallbacks: this.fallbacks,
      breakerOpened,
      breaker,
      hitRatio: reads === 0 ? 0 : served / reads,
    };
  }
}

/**
 * The consistency checker: samples a cache's entries and compares each with the source of
 * truth, for tests ("after the stream drained, nothing is stale") and for operators (a
 * periodic job reporting the stale fraction, the way Meta measures cache consistency).
 */
import type { Cache } from './cache.js';

/**
 * Options of {@link checkConsistency}.
 *
 * @typeParam T - The cached value type.
 */
export interface ConsistencyCheckOptions<T> {
  /** Reads a key's value from the source of truth, as the cache's loader does. */
  readonly load: (key: string) => Promise<T | undefined>;
  /** Check these keys rather than a sample (keys without an entry count as `missing`). */
  readonly keys?: readonly string[];
  /** How many entries to sample by SCAN. @defaultValue 1000 */
  readonly sample?: number;
  /**
   * Compares a cached value with the loaded one. By default their serialized bytes are
   * compared, which assumes the loader builds values the same way every time.
   */
  readonly equals?: (cached: T, actual: T) => boolean;
  /**
   * A mismatch is re-read after this many ms and reported only if it persists with the same
   * entry: a write committed between the two reads of a check is not staleness. 0 reports
   * first mismatches. @defaultValue 0
   */
  readonly recheckMs?: number;
  /** Keys checked at once. @defaultValue 8 */
  readonly concurrency?: number;
}

/** A cached entry that disagrees with the source of truth. */
export interface StaleEntry {
  /** The cache key. */
  readonly key: string;
  /**
   * `different`: both hold a value and they differ; `row-gone`: the cache holds a value the
   * source no longer has; `row-exists`: the cache holds "not found" but the source has one.
   */
  readonly reason: 'different' | 'row-gone' | 'row-exists';
  /** The entry's version (the LSN it is known to be at least as new as). */
  readonly version: string;
}

/** What {@link checkConsistency} found. */
export interface ConsistencyReport {
  /** The cache's namespace. */
  readonly namespace: string;
  /** Entries compared. */
  readonly checked: number;
  /** Keys asked for (`keys`) that had no entry. */
  readonly missing: number;
  /** Entries that disagree with the source of truth. */
  readonly stale: readonly StaleEntry[];
  /** `stale.length / checked` (0 when nothing was checked). */
  readonly staleRatio: number;
}

/**
 * Compares cached entries with the source of truth and reports the stale ones. Throws if
 * Redis cannot be read (a check that could not look is not a clean bill of health).
 *
 * @example
 * ```ts
 * const report = await checkConsistency(orders, { load: (key) => findOrder(pool, Number(key)) });
 * if (report.stale.length > 0) logger.error({ stale: report.stale }, 'stale cache entries');
 * ```
 */
export async function checkConsistency<T>(
  cache: Cache<T>,
  options: ConsistencyCheckOptions<T>,
): Promise<ConsistencyReport> {
  const sample = options.sample ?? 1000;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  let keys: readonly string[];
  if (options.keys) {
    keys = options.keys;
  } else {
    const found = new Set<string>();
    for await (const batch of cache.scanKeys(Math.min(1000, sample))) {
      for (const key of batch) if (found.size < sample) found.add(key);
      if (found.size >= sample) break;
    }
    keys = [...found];
  }

  const check = async (key: string): Promise<StaleEntry | 'missing' | 'fresh'> => {
    const entry = await cache.peek(key);
    if (entry.kind === 'missing') return 'missing';
    const actual = await options.load(key);
    let reason: StaleEntry['reason'] | undefined;
    if (entry.kind === 'negative') {
      if (actual !== undefined) reason = 'row-exists';
    } else if (actual === undefined) {
      reason = 'row-gone';
    } else if (options.equals) {
      if (!options.equals(cache.deserialize(entry.bytes), actual)) reason = 'different';
    } else if (!cache.serialize(actual).equals(entry.bytes)) {
      reason = 'different';
    }
    return reason === undefined ? 'fresh' : { key, reason, version: entry.version };
  };

  const stale: StaleEntry[] = [];
  let checked = 0;
  let missing = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < keys.length) {
      const key = keys[next++]!;
      let outcome = await check(key);
      if (typeof outcome === 'object' && (options.recheckMs ?? 0) > 0) {
        await new Promise((resolve) => setTimeout(resolve, options.recheckMs));
        const again = await check(key);
        // Same verdict on the same entry version: it persisted. Anything else resolved itself.
        outcome = typeof again === 'object' && again.version === outcome.version ? again : 'fresh';
      }
      if (outcome === 'missing') missing++;
      else {
        checked++;
        if (outcome !== 'fresh') stale.push(outcome);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return {
    namespace: cache.namespace,
    checked,
    missing,
    stale,
    staleRatio: checked === 0 ? 0 : stale.length / checked,
  };
}

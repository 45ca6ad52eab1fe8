/**
 * What `GET /actuator/cache` adds to the counters, for the console and Prometheus: how far the
 * CDC invalidation runs behind the database (commit → Redis), and the stale-entry checker —
 * `checkConsistency` over a sample of the order entries, run periodically, its last result kept.
 */
import { checkConsistency, type CacheInvalidator, type StaleEntry } from '@trackops/cache';
import type { Logger, Queryable } from '@trackops/core';
import { Gauge, Histogram, type Registry } from 'prom-client';
import type { OrderHeader } from './model.js';
import type { OrderCaches } from './orderCaches.js';
import { findOrderHeader } from './repository.js';

/** The last run of the stale-entry checker. */
export interface ConsistencyResult {
  /** When it ran (ISO). */
  at: string;
  namespace: string;
  checked: number;
  stale: readonly StaleEntry[];
}

/** The CDC invalidation so far. */
export interface InvalidationProgress {
  changesApplied: number;
  /** Commit → applied in Redis, of the last change (`null` before the first). */
  lastLagMs: number | null;
}

/**
 * A running watch; `stop()` ends its timer and its subscription and waits for a check already
 * running, so none queries the pool or Redis after they are closed.
 */
export interface CacheWatch {
  invalidation(): InvalidationProgress;
  /** `null` until the first check has run. */
  consistency(): ConsistencyResult | null;
  stop(): Promise<void>;
}

/**
 * The fields a change moves: a cached order that differs in one of them from its row is stale.
 * (Comparing every byte would also flag the entries warmed from Debezium's row image, whose
 * values are rendered by another path than the loader's.)
 */
const sameOrder = (cached: OrderHeader, actual: OrderHeader): boolean =>
  cached.status === actual.status &&
  cached.updatedAt === actual.updatedAt &&
  cached.cancellationReason === actual.cancellationReason;

export function watchOrderCache(options: {
  invalidator: CacheInvalidator;
  caches: OrderCaches;
  pool: Queryable;
  registry: Registry;
  logger: Logger;
  /** @defaultValue 15000 */
  checkEveryMs?: number;
}): CacheWatch {
  const { caches, pool, registry, logger } = options;
  const progress: InvalidationProgress = { changesApplied: 0, lastLagMs: null };
  let last: ConsistencyResult | null = null;

  const lag = new Histogram({
    name: 'trackops_order_cache_invalidation_lag_seconds',
    help: 'From a change committed in trackops_orders to its invalidation or warm applied in Redis',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const stale = new Gauge({
    name: 'trackops_order_cache_stale_entries',
    help: 'Stale order entries the last consistency check found (should stay 0)',
    registers: [registry],
  });
  const unsubscribe = options.invalidator.on('cache:change:applied', (event) => {
    progress.changesApplied += 1;
    progress.lastLagMs = event.lagMs;
    lag.observe(Math.max(0, event.lagMs) / 1000);
  });

  /** The check running now, if any. */
  let running: Promise<void> | undefined;
  const runCheck = async (): Promise<void> => {
    try {
      const report = await checkConsistency(caches.orders, {
        load: (key) => findOrderHeader(pool, key),
        equals: sameOrder,
        sample: 200,
        // A write between the two reads is not staleness: only a mismatch that persists counts.
        recheckMs: 1_000,
      });
      last = {
        at: new Date().toISOString(),
        namespace: report.namespace,
        checked: report.checked,
        stale: report.stale,
      };
      stale.set(report.stale.length);
      if (report.stale.length > 0)
        logger.warn({ stale: report.stale }, 'stale order cache entries');
    } catch (error) {
      logger.warn({ err: error }, 'order cache consistency check failed');
    }
  };
  const check = (): void => {
    if (running !== undefined) return;
    running = runCheck().finally(() => {
      running = undefined;
    });
  };
  const timer = setInterval(check, options.checkEveryMs ?? 15_000);
  timer.unref();

  return {
    invalidation: () => ({ ...progress }),
    consistency: () => last,
    async stop() {
      clearInterval(timer);
      unsubscribe();
      await running;
    },
  };
}

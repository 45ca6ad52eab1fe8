import { z } from 'zod';
import { TrackOpsError } from './errors.js';
import type { Logger } from './logger.js';
import type { Queryable } from './sql.js';

/**
 * What the TrackOps Prometheus adapters need of a prom-client `Registry` (either content type).
 * Structural, so `@trackops/core` does not depend on prom-client.
 */
export interface MetricsRegistryLike<TMetric> {
  registerMetric(metric: TMetric): void;
  getSingleMetric(name: string): TMetric | undefined;
  removeSingleMetric(name: string): void;
}

/** The option check of a prom-client registry (by shape, as everywhere in TrackOps). */
export function metricsRegistryOption<TRegistry>() {
  return z.custom<TRegistry>(
    (value) =>
      typeof (value as MetricsRegistryLike<unknown> | undefined)?.registerMetric === 'function' &&
      typeof (value as MetricsRegistryLike<unknown> | undefined)?.removeSingleMetric === 'function',
    { message: 'must be a prom-client Registry' },
  );
}

/**
 * Registers `metrics` all or none: when one name is taken, those registered so far are removed
 * and a `TrackOpsError` `INVALID_OPTIONS` names the prefix to change.
 *
 * @param what - The adapter, named in the error (`outboxMetrics`).
 * @returns A function that removes the metrics again (only those still registered as ours).
 */
export function registerMetrics<TMetric>(
  registry: MetricsRegistryLike<TMetric>,
  metrics: readonly TMetric[],
  what: string,
  prefix: string,
): () => void {
  const registered: TMetric[] = [];
  const unregister = (): void => {
    for (const metric of registered.splice(0)) {
      const name = (metric as unknown as { name: string }).name;
      // Only ours: another adapter may have registered the name since.
      if (registry.getSingleMetric(name) === metric) registry.removeSingleMetric(name);
    }
  };
  for (const metric of metrics) {
    try {
      registry.registerMetric(metric);
    } catch (error) {
      unregister();
      throw new TrackOpsError({
        code: 'INVALID_OPTIONS',
        message: `invalid ${what} options: prefix: metrics named ${prefix}* are already registered in this registry; pass another prefix or unsubscribe the earlier adapter`,
        cause: error,
      });
    }
    registered.push(metric);
  }
  return unregister;
}

/**
 * The option fields every TrackOps Prometheus adapter takes: where to register (`registry`,
 * default prom-client's global one), what its gauges query on a scrape (`pool`), the metric
 * name `prefix`, and where a failed scrape query is reported (`logger`, default silent).
 *
 * @param defaultPrefix - The adapter's prefix, e.g. `'trackops_outbox_'`.
 */
export function metricsAdapterFields<TRegistry>(defaultPrefix: string) {
  return {
    /** Where the metrics are registered. @defaultValue prom-client's global `register` */
    registry: metricsRegistryOption<TRegistry>().optional(),
    /**
     * What the gauges query on each scrape (one query per scrape, shared by the gauges):
     * usually the component's `pg.Pool`.
     */
    pool: z.custom<Queryable>(
      (value) => typeof (value as Queryable | undefined)?.query === 'function',
      { message: 'must be a pg.Pool or anything with query()' },
    ),
    /**
     * Prepended to every metric name; use another one per component when several of one
     * process register in the same registry.
     */
    prefix: z
      .string()
      .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'must be a Prometheus metric name prefix')
      .default(defaultPrefix),
    /** Where a failed scrape query is reported (the scrape itself still succeeds). @defaultValue silent */
    logger: z
      .custom<Logger>((value) => typeof (value as Logger | undefined)?.warn === 'function', {
        message: 'must be a logger',
      })
      .optional(),
  };
}

/**
 * One query shared by the gauges of one scrape (prom-client collects them concurrently): `read`
 * starts it or joins the one in flight; a failure goes to `onError` and reads as `undefined`,
 * so the gauges keep their last values and the scrape still succeeds.
 */
export function perScrapeQuery<T>(
  query: () => Promise<T>,
  onError: (error: unknown) => void,
): { read(): Promise<T | undefined>; settled(): Promise<void> } {
  let pending: Promise<T | undefined> | undefined;
  return {
    read: () =>
      (pending ??= query()
        .catch((error: unknown) => {
          onError(error);
          return undefined;
        })
        .finally(() => {
          pending = undefined;
        })),
    /** Resolves once the query in flight, if any, has settled (for a counter of failures). */
    settled: async () => {
      await pending;
    },
  };
}

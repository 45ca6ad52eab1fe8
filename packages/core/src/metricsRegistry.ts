import { z } from 'zod';
import { TrackOpsError } from './errors.js';

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

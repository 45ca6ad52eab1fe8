/**
 * Prometheus metrics for a saga runtime, with prom-client: `@trackops/saga/prometheus`.
 *
 * Like the outbox's adapter it listens to the runtime's instrumentation events, so the runtime
 * itself never depends on prom-client (an optional peer dependency, needed only here).
 *
 * @packageDocumentation
 */
import {
  metricsAdapterFields,
  parseOptions,
  perScrapeQuery,
  registerMetrics,
  silentLogger,
  TrackOpsError,
} from '@trackops/core';
import { Counter, Gauge, Histogram, register as defaultRegistry, type Metric } from 'prom-client';
import type { MetricsRegistry } from '@trackops/outbox/prometheus';
import { z } from 'zod';
import { sagaStats } from './operations.js';
import type { SagaRuntime } from './runtime.js';
import { sagaTablesSchema } from './tables.js';

/** A prom-client registry, of either content type (the outbox adapter's type). */
export type { MetricsRegistry } from '@trackops/outbox/prometheus';

/** Options of {@link sagaMetrics}. */
export const sagaMetricsOptionsSchema = z
  .object({
    // registry, pool (queried once per scrape for the `sagas` and `stuck` gauges), prefix
    // (default `trackops_saga_`), logger.
    ...metricsAdapterFields<MetricsRegistry>('trackops_saga_'),
    /** The saga tables' schema. @defaultValue `'public'` */
    tables: sagaTablesSchema.prefault({}),
    /** How overdue or idle an active saga must be to count as stuck. @defaultValue 60000 */
    stuckAfterMs: z.int().min(0).default(60_000),
  })
  .strict();

/** Options of {@link sagaMetrics}. */
export type SagaMetricsOptions = z.input<typeof sagaMetricsOptionsSchema>;

/** What {@link sagaMetrics} returns. */
export interface SagaMetrics {
  /** Stops counting, stops querying and removes the metrics from the registry. Idempotent. */
  unsubscribe(): void;
}

/**
 * Registers Prometheus metrics for `runtime` (default prefix):
 *
 * | metric | type | from |
 * | --- | --- | --- |
 * | `trackops_saga_started_total{saga}` | counter | `begin` calls |
 * | `trackops_saga_ended_total{saga,status}` | counter | sagas that reached COMPLETED, COMPENSATED, COMPENSATION_FAILED or ABORTED |
 * | `trackops_saga_duration_seconds{saga,status}` | histogram | begin to that status |
 * | `trackops_saga_replies_ignored_total` | counter | duplicate, late or unknown replies absorbed |
 * | `trackops_saga_sagas{status}` | gauge | sagas per status in the table, on scrape |
 * | `trackops_saga_stuck` | gauge | COMPENSATION_FAILED sagas plus active ones overdue or idle for `stuckAfterMs`, on scrape |
 * | `trackops_saga_stats_errors_total` | counter | scrapes whose stats query failed |
 *
 * Counters count what this runtime did; the gauges are table-wide (aggregate them with `max`).
 *
 * @throws TrackOpsError `INVALID_OPTIONS` naming a bad option, or when the names are taken.
 *
 * @example
 * ```ts
 * const metrics = sagaMetrics(runtime, { registry, pool });
 * ```
 */
export function sagaMetrics(runtime: SagaRuntime, options: SagaMetricsOptions): SagaMetrics {
  if (typeof (runtime as SagaRuntime | undefined)?.on !== 'function') {
    throw new TrackOpsError({
      code: 'INVALID_OPTIONS',
      message:
        'invalid sagaMetrics options: runtime: must be a SagaRuntime (from createSagaRuntime)',
    });
  }
  const resolved = parseOptions(sagaMetricsOptionsSchema, options, 'sagaMetrics');
  const registry = resolved.registry ?? defaultRegistry;
  const logger = resolved.logger ?? silentLogger;
  const name = (suffix: string): string => `${resolved.prefix}${suffix}`;
  let active = true;

  const started = new Counter({
    name: name('started_total'),
    help: 'Sagas begun through this runtime.',
    labelNames: ['saga'] as const,
    registers: [],
  });
  const ended = new Counter({
    name: name('ended_total'),
    help: 'Sagas that reached COMPLETED, COMPENSATED, COMPENSATION_FAILED or ABORTED.',
    labelNames: ['saga', 'status'] as const,
    registers: [],
  });
  const duration = new Histogram({
    name: name('duration_seconds'),
    help: 'Time from begin to the status reached.',
    labelNames: ['saga', 'status'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [],
  });
  const repliesIgnored = new Counter({
    name: name('replies_ignored_total'),
    help: 'Replies absorbed without effect: duplicate, late, or for a finished or unknown saga.',
    registers: [],
  });

  const stats = perScrapeQuery(
    () => sagaStats(resolved.pool, { ...resolved.tables, stuckAfterMs: resolved.stuckAfterMs }),
    (error) => {
      statsErrors.inc();
      logger.warn(
        { err: error },
        'saga metrics: stats query failed; gauges keep their last values',
      );
    },
  );
  const sagas = new Gauge({
    name: name('sagas'),
    help: 'Sagas per status in the saga table.',
    labelNames: ['status'] as const,
    registers: [],
    async collect() {
      if (!active) return;
      const value = await stats.read();
      if (!value) return;
      for (const [status, count] of Object.entries(value.byStatus)) this.set({ status }, count);
    },
  });
  const stuck = new Gauge({
    name: name('stuck'),
    help: 'COMPENSATION_FAILED sagas plus active ones overdue or idle for longer than stuckAfterMs.',
    registers: [],
    async collect() {
      if (!active) return;
      const value = await stats.read();
      if (value) this.set(value.stuck);
    },
  });
  const statsErrors = new Counter({
    name: name('stats_errors_total'),
    help: 'Scrapes whose saga stats query failed; the gauges kept their last values.',
    registers: [],
    async collect() {
      await stats.settled();
    },
  });

  const metrics: Metric[] = [started, ended, duration, repliesIgnored, sagas, stuck, statsErrors];
  const unregister = registerMetrics<Metric>(registry, metrics, 'sagaMetrics', resolved.prefix);
  const listeners = [
    runtime.on('saga:started', ({ sagaType }) => started.inc({ saga: sagaType })),
    runtime.on('saga:ended', ({ sagaType, status, durationMs }) => {
      ended.inc({ saga: sagaType, status });
      duration.observe({ saga: sagaType, status }, durationMs / 1000);
    }),
    runtime.on('saga:reply-ignored', () => repliesIgnored.inc()),
  ];
  return {
    unsubscribe() {
      if (!active) return;
      active = false;
      for (const off of listeners) off();
      unregister();
    },
  };
}

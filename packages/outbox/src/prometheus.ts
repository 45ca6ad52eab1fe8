/**
 * Prometheus metrics for an outbox relay, with prom-client: `@trackops/outbox/prometheus`.
 *
 * The adapter lives outside the relay, on the relay's instrumentation events, so the core
 * package never depends on prom-client (an optional peer dependency, needed only by this
 * entry point).
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
import {
  Counter,
  Gauge,
  Histogram,
  register as defaultRegistry,
  type Metric,
  type OpenMetricsContentType,
  type PrometheusContentType,
  type Registry,
} from 'prom-client';
import { z } from 'zod';
import { outboxStatus, type OutboxStatus } from './operations.js';
import type { OutboxRelay } from './relay.js';
import { outboxTableSchema } from './table.js';

/** A prom-client registry, of either content type. */
export type MetricsRegistry = Registry<PrometheusContentType> | Registry<OpenMetricsContentType>;

/** Options of {@link outboxMetrics}; validated once, a bad one throws naming it. */
export const outboxMetricsOptionsSchema = z
  .object({
    // registry, pool (queried once per scrape for the backlog, oldest-age and dead gauges),
    // prefix (default `trackops_outbox_`), logger.
    ...metricsAdapterFields<MetricsRegistry>('trackops_outbox_'),
    /** The relay's outbox table. @defaultValue `public.outbox` */
    table: outboxTableSchema.prefault({}),
  })
  .strict();

/** Options of {@link outboxMetrics}. */
export type OutboxMetricsOptions = z.input<typeof outboxMetricsOptionsSchema>;

/** What {@link outboxMetrics} returns. */
export interface OutboxMetrics {
  /**
   * Stops counting (the relay's events are no longer listened to), stops querying the pool and
   * removes the metrics from the registry, so the same names can be registered again (say for
   * a new relay). Idempotent.
   */
  unsubscribe(): void;
}

/**
 * Registers Prometheus metrics for `relay` (names shown with the default prefix):
 *
 * | metric | type | from |
 * | --- | --- | --- |
 * | `trackops_outbox_published_total` | counter | rows published (`relay:batch:published`) |
 * | `trackops_outbox_failed_total{dead}` | counter | row-level failures; `dead="true"` when the row went dead (`relay:event:failed`) |
 * | `trackops_outbox_relay_errors_total` | counter | failed batches: broker, network, database (`relay:error`) |
 * | `trackops_outbox_batch_duration_seconds` | histogram | select-publish-mark time of batches that published |
 * | `trackops_outbox_cleanup_deleted_total` | counter | published rows deleted by retention (`relay:cleanup`) |
 * | `trackops_outbox_backlog` | gauge | unpublished live rows, on scrape |
 * | `trackops_outbox_oldest_unpublished_age_seconds` | gauge | age of the oldest of them — the relay's lag, on scrape |
 * | `trackops_outbox_dead` | gauge | dead rows, on scrape |
 * | `trackops_outbox_status_errors_total` | counter | scrapes whose status query failed |
 *
 * The three gauges come from one {@link outboxStatus} query per scrape. When it fails (the
 * database is down, say) the error is logged and counted in `status_errors_total`, the gauges
 * keep their last values and the scrape still succeeds — the relay's other metrics must not
 * vanish exactly when the database is in trouble. Every relay process reports the same
 * table-wide gauges; aggregate them with `max`, not `sum`.
 *
 * @param relay - The relay to instrument (created by `createRelay`, started or not).
 * @throws TrackOpsError `INVALID_OPTIONS` naming a bad option, or when metrics with these
 *   names are already registered (pass another `prefix`, or unsubscribe the earlier adapter).
 *
 * @example
 * ```ts
 * import { Registry } from 'prom-client';
 * import { createRelay } from '@trackops/outbox';
 * import { outboxMetrics } from '@trackops/outbox/prometheus';
 *
 * const registry = new Registry();
 * const relay = createRelay({ pool, kafka });
 * const metrics = outboxMetrics(relay, { registry, pool, logger });
 * await relay.start();
 * // GET /metrics → res.type(registry.contentType).send(await registry.metrics())
 * // on shutdown:
 * await relay.stop();
 * metrics.unsubscribe();
 * ```
 */
export function outboxMetrics(relay: OutboxRelay, options: OutboxMetricsOptions): OutboxMetrics {
  if (typeof (relay as OutboxRelay | undefined)?.on !== 'function')
    throw new TrackOpsError({
      code: 'INVALID_OPTIONS',
      message: 'invalid outboxMetrics options: relay: must be an OutboxRelay (from createRelay)',
    });
  const resolved = parseOptions(outboxMetricsOptionsSchema, options, 'outboxMetrics');
  const registry = resolved.registry ?? defaultRegistry;
  const logger = resolved.logger ?? silentLogger;
  const name = (suffix: string): string => `${resolved.prefix}${suffix}`;
  let active = true;

  // Created unregistered, then registered together, so a name clash registers none of them.
  const published = new Counter({
    name: name('published_total'),
    help: 'Outbox rows published to Kafka by this relay.',
    registers: [],
  });
  const failed = new Counter({
    name: name('failed_total'),
    help: 'Outbox rows that failed to publish (record-level errors); dead="true" when the row went dead.',
    labelNames: ['dead'] as const,
    registers: [],
  });
  // Both series exist from the start at 0, so `rate()` and alerts see the first failure.
  failed.inc({ dead: 'false' }, 0);
  failed.inc({ dead: 'true' }, 0);
  const relayErrors = new Counter({
    name: name('relay_errors_total'),
    help: 'Relay batches that failed as a whole (broker, network or database errors); the relay retries with backoff.',
    registers: [],
  });
  const batchDuration = new Histogram({
    name: name('batch_duration_seconds'),
    help: 'Duration of relay batches that published rows: select, publish and mark.',
    registers: [],
  });
  const cleanupDeleted = new Counter({
    name: name('cleanup_deleted_total'),
    help: 'Published outbox rows deleted by retention cleanup.',
    registers: [],
  });

  // The three gauges are collected concurrently within one scrape; they share one query.
  const status = perScrapeQuery(
    () => outboxStatus(resolved.pool, { table: resolved.table }),
    (error) => {
      statusErrors.inc();
      logger.warn(
        { err: error, table: `${resolved.table.schema}.${resolved.table.table}` },
        'outbox metrics: status query failed; gauges keep their last values',
      );
    },
  );
  const statusGauge = (
    suffix: string,
    help: string,
    read: (value: OutboxStatus) => number,
  ): Gauge => {
    return new Gauge({
      name: name(suffix),
      help,
      registers: [],
      async collect() {
        if (!active) return;
        const value = await status.read();
        if (value) this.set(read(value));
      },
    });
  };
  const backlog = statusGauge(
    'backlog',
    'Outbox rows not yet published and not dead.',
    (value) => value.backlog,
  );
  const oldestAge = statusGauge(
    'oldest_unpublished_age_seconds',
    'Age of the oldest unpublished live outbox row (0 when none): the relay lag.',
    (value) => value.oldestUnpublishedAgeMs / 1000,
  );
  const dead = statusGauge(
    'dead',
    'Dead outbox rows, waiting to be replayed or purged.',
    (value) => value.dead,
  );

  const statusErrors = new Counter({
    name: name('status_errors_total'),
    help: 'Scrapes whose outbox status query failed; the backlog, age and dead gauges kept their last values.',
    registers: [],
    // Registered after the gauges, so a scrape collects it after they started their query;
    // waiting for that query makes the scrape that saw the failure report it.
    async collect() {
      await status.settled();
    },
  });

  const metrics: Metric[] = [
    published,
    failed,
    relayErrors,
    batchDuration,
    cleanupDeleted,
    backlog,
    oldestAge,
    dead,
    statusErrors,
  ];
  const unregister = registerMetrics<Metric>(registry, metrics, 'outboxMetrics', resolved.prefix);

  const listeners = [
    relay.on('relay:batch:published', ({ count, durationMs }) => {
      published.inc(count);
      batchDuration.observe(durationMs / 1000);
    }),
    relay.on('relay:event:failed', ({ dead: isDead }) => {
      failed.inc({ dead: isDead ? 'true' : 'false' });
    }),
    relay.on('relay:error', () => {
      relayErrors.inc();
    }),
    relay.on('relay:cleanup', ({ deleted }) => {
      cleanupDeleted.inc(deleted);
    }),
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

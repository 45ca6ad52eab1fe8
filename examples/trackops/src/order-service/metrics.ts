/**
 * `GET /actuator/prometheus`: Node's default metrics, the saga runtime's (`trackops_saga_*`,
 * from `@trackops/saga/prometheus`), the order caches' counters and the payment breaker.
 */
import type { Logger } from '@trackops/core';
import type { SagaRuntime } from '@trackops/saga';
import { sagaMetrics } from '@trackops/saga/prometheus';
import type pg from 'pg';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { CircuitBreaker } from './circuitBreaker.js';
import type { OrderCaches } from './orderCaches.js';

export function createOrderMetrics(options: {
  runtime: SagaRuntime;
  pool: pg.Pool;
  caches: OrderCaches;
  breaker: CircuitBreaker;
  logger: Logger;
}): { registry: Registry; stop(): void } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const sagas = sagaMetrics(options.runtime, {
    registry,
    pool: options.pool,
    logger: options.logger,
  });
  const counters = [
    'hits',
    'staleHits',
    'misses',
    'loads',
    'fills',
    'fillsRefused',
    'invalidations',
    'warms',
    'warmsRefused',
    'errors',
    'fallbacks',
  ] as const;
  new Gauge({
    name: 'trackops_order_cache_operations',
    help: 'Order cache counters since the process started, by cache and counter',
    labelNames: ['cache', 'counter'],
    registers: [registry],
    collect() {
      for (const [cache, stats] of Object.entries(options.caches.stats())) {
        for (const counter of counters) this.set({ cache, counter }, stats[counter]);
      }
    },
  });
  new Gauge({
    name: 'trackops_order_payment_breaker_open',
    help: '1 while the payment gateway circuit breaker refuses payments',
    registers: [registry],
    collect() {
      this.set(options.breaker.state === 'open' ? 1 : 0);
    },
  });
  return { registry, stop: () => sagas.unsubscribe() };
}

import type { Queryable } from '@trackops/core';
import { Registry, type Counter } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  stackEndpoints,
  testKafka,
  uniqueName,
  type TestDatabase,
} from '@trackops/testkit';
import {
  createOutbox,
  createRelay,
  migrate,
  outboxStatus,
  type OutboxRelay,
} from '@trackops/outbox';
import { outboxMetrics } from '@trackops/outbox/prometheus';

describe('outboxMetrics (prom-client)', () => {
  let db: TestDatabase;
  const outbox = createOutbox();
  const kafka = testKafka(stackEndpoints().KAFKA_BROKERS);
  const relays: OutboxRelay[] = [];
  const unsubscribes: Array<() => void> = [];

  beforeAll(async () => {
    db = await createTestDatabase(stackEndpoints().DATABASE_URL, 'outbox_prometheus');
    await migrate(db.pool);
  });
  afterEach(async () => {
    for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
  });
  afterAll(() => db.drop());

  const newRelay = (options: Partial<Parameters<typeof createRelay>[0]> = {}): OutboxRelay => {
    const relay = createRelay({
      pool: db.pool,
      kafka,
      route: { topic: `${uniqueName('prom')}.\${routedByValue}` },
      pollIntervalMs: 200,
      ...options,
    });
    relays.push(relay);
    return relay;
  };
  const events = (aggregateId: string, count: number) =>
    Array.from({ length: count }, (_, n) => ({
      aggregateType: 'parcel',
      aggregateId,
      type: 'PARCEL_SHIPPED',
      payload: { n },
    }));

  it('counts published and dead rows and reports backlog and dead gauges from the table; after unsubscribe, counts nothing', async () => {
    const registry = new Registry();
    const relay = newRelay({ maxAttempts: 1, maxBatchBytes: 2 * 1024 * 1024 });
    const metrics = outboxMetrics(relay, { registry, pool: db.pool });
    unsubscribes.push(() => metrics.unsubscribe());

    // Three that go out, and one over the broker's message.max.bytes that goes dead at once.
    await outbox.enqueue(db.pool, events('p-1', 3));
    await outbox.enqueue(db.pool, {
      aggregateType: 'parcel',
      aggregateId: 'poison',
      type: 'PARCEL_SHIPPED',
      payload: { huge: 'x'.repeat(1_200_000) },
    });
    expect(await registry.metrics()).toMatch(/^trackops_outbox_backlog 4$/m);
    await relay.start();

    await expect
      .poll(() => registry.metrics(), { timeout: 20_000, interval: 200 })
      .toMatch(/^trackops_outbox_failed_total\{dead="true"\} 1$/m);
    const text = await registry.metrics();
    expect(text).toMatch(/^trackops_outbox_published_total 3$/m);
    expect(text).toMatch(/^trackops_outbox_failed_total\{dead="false"\} 0$/m);
    expect(text).toMatch(/^trackops_outbox_backlog 0$/m);
    expect(text).toMatch(/^trackops_outbox_dead 1$/m);
    expect(text).toMatch(/^trackops_outbox_oldest_unpublished_age_seconds 0$/m);
    expect(text).toMatch(/^trackops_outbox_relay_errors_total 0$/m);
    expect(text).toMatch(/^trackops_outbox_cleanup_deleted_total 0$/m);
    expect(text).toMatch(/^trackops_outbox_batch_duration_seconds_count [1-9]\d*$/m);
    expect(text).toMatch(/^# TYPE trackops_outbox_batch_duration_seconds histogram$/m);

    const published = registry.getSingleMetric('trackops_outbox_published_total') as Counter;
    metrics.unsubscribe();
    expect(await registry.metrics()).not.toContain('trackops_outbox_');

    await outbox.enqueue(db.pool, events('p-2', 2));
    await expect
      .poll(async () => (await outboxStatus(db.pool)).published, { timeout: 15_000 })
      .toBe(5);
    expect((await published.get()).values).toEqual([{ value: 3, labels: {} }]);

    // The names are free again: a new adapter starts from zero.
    const again = outboxMetrics(relay, { registry, pool: db.pool });
    unsubscribes.push(() => again.unsubscribe());
    expect(await registry.metrics()).toMatch(/^trackops_outbox_published_total 0$/m);
  });

  it('refuses a second adapter with the same names in one registry, naming the prefix, and takes another prefix', () => {
    const registry = new Registry();
    const relay = newRelay();
    const first = outboxMetrics(relay, { registry, pool: db.pool });
    unsubscribes.push(() => first.unsubscribe());

    expect(() => outboxMetrics(relay, { registry, pool: db.pool })).toThrow(
      /outboxMetrics options: prefix: metrics named trackops_outbox_\* are already registered/,
    );
    expect(() => outboxMetrics(relay, { registry, pool: db.pool, prefix: 'bad prefix' })).toThrow(
      /outboxMetrics options: prefix: /,
    );
    const second = outboxMetrics(relay, { registry, pool: db.pool, prefix: 'orders_outbox_' });
    unsubscribes.push(() => second.unsubscribe());
    expect(registry.getSingleMetric('orders_outbox_published_total')).toBeDefined();
  });

  it('keeps the scrape working when the status query fails: logs, counts it, and keeps the last gauge values', async () => {
    const registry = new Registry();
    const warnings: string[] = [];
    const logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (_: Record<string, unknown>, message?: string) => warnings.push(message ?? ''),
      error: () => undefined,
    };
    let down = false;
    // Both of Queryable's forms pass through to the real pool until `down`.
    const query = db.pool.query.bind(db.pool) as (...args: unknown[]) => Promise<unknown>;
    const pool = {
      query: (...args: unknown[]) =>
        down ? Promise.reject(new Error('connection terminated')) : query(...args),
    } as Queryable;
    await outbox.enqueue(db.pool, events('p-3', 2));
    const metrics = outboxMetrics(newRelay(), { registry, pool, logger });
    unsubscribes.push(() => metrics.unsubscribe());

    const before = await registry.metrics();
    const backlog = /^trackops_outbox_backlog (\d+)$/m.exec(before)?.[1];
    expect(Number(backlog)).toBe((await outboxStatus(db.pool)).backlog);

    down = true;
    const during = await registry.metrics();
    expect(during).toMatch(new RegExp(`^trackops_outbox_backlog ${backlog}$`, 'm'));
    expect(during).toMatch(/^trackops_outbox_status_errors_total 1$/m);
    // One failed query per scrape, not one per gauge.
    expect(warnings).toEqual([
      'outbox metrics: status query failed; gauges keep their last values',
    ]);
  });
});

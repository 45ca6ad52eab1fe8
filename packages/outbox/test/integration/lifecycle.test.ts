import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectRecords,
  createTestDatabase,
  stackEndpoints,
  testKafka,
  uniqueName,
  type TestDatabase,
} from '@trackops/testkit';
import { isTrackOpsError } from '@trackops/core';
import { createOutbox, createRelay, migrate, outboxStatus } from '@trackops/outbox';

describe('relay lifecycle', () => {
  let db: TestDatabase;
  const stack = stackEndpoints();
  const kafka = testKafka(stack.KAFKA_BROKERS);
  const outbox = createOutbox();

  beforeAll(async () => {
    db = await createTestDatabase(stack.DATABASE_URL, 'outbox_lifecycle');
    await migrate(db.pool);
  });
  afterAll(() => db.drop());

  it('starts and stops idempotently, stops on its AbortSignal, and releases every connection', async () => {
    const controller = new AbortController();
    const relay = createRelay({
      pool: db.pool,
      kafka,
      signal: controller.signal,
      pollIntervalMs: 100,
    });
    const events: string[] = [];
    relay.on('relay:started', () => events.push('started'));
    relay.on('relay:stopped', () => events.push('stopped'));

    await Promise.all([relay.start(), relay.start()]);
    expect(relay.isRunning).toBe(true);
    // One connection held for LISTEN while idle.
    await expect.poll(() => db.pool.totalCount - db.pool.idleCount, { timeout: 5000 }).toBe(1);

    controller.abort();
    await relay.stop();
    await Promise.all([relay.stop(), relay.stop()]);
    expect(relay.isRunning).toBe(false);
    expect(events).toEqual(['started', 'stopped']);
    expect(db.pool.totalCount - db.pool.idleCount).toBe(0);
    await expect(relay.start()).rejects.toSatisfy((error) => isTrackOpsError(error, 'STOPPED'));
  });

  it('finishes the batch in flight when stopped, leaving nothing published-but-unmarked', async () => {
    const prefix = uniqueName('graceful');
    await outbox.enqueue(
      db.pool,
      Array.from({ length: 3000 }, (_, i) => ({
        aggregateType: 'parcel',
        aggregateId: `p-${i % 10}`,
        type: 'T',
        payload: { i },
      })),
    );
    const relay = createRelay({
      pool: db.pool,
      kafka,
      route: { topic: `${prefix}.\${routedByValue}` },
      batchSize: 500,
    });
    let batches = 0;
    relay.on('relay:batch:published', () => batches++);
    await relay.start();
    await expect.poll(() => batches, { timeout: 20_000, interval: 5 }).toBeGreaterThan(0);
    await relay.stop();

    const { published } = await outboxStatus(db.pool);
    const records = await collectRecords(kafka, {
      topics: [`${prefix}.parcel`],
      until: (r) => r.length >= published,
      timeoutMs: 20_000,
    });
    // Everything marked is on Kafka, and nothing is on Kafka that is not marked.
    expect(new Set(records.map((record) => record.headers['id'])).size).toBe(published);
    expect(published % 500).toBe(0);
  });

  it('deletes published rows after the retention period, in small batches', async () => {
    const prefix = uniqueName('retention');
    await outbox.enqueue(
      db.pool,
      Array.from({ length: 50 }, (_, i) => ({
        aggregateType: 'parcel',
        aggregateId: 'p',
        type: 'T',
        payload: { i },
      })),
    );
    const deleted: number[] = [];
    const relay = createRelay({
      pool: db.pool,
      kafka,
      route: { topic: `${prefix}.\${routedByValue}` },
      pollIntervalMs: 100,
      retention: { publishedMs: 0, intervalMs: 1000, batchSize: 7 },
    });
    relay.on('relay:cleanup', (event) => deleted.push(event.deleted));
    await relay.start();
    try {
      await expect
        .poll(
          async () =>
            (await db.pool.query<{ n: number }>('select count(*)::int as n from outbox')).rows[0]
              ?.n,
          { timeout: 15_000 },
        )
        .toBe(0);
    } finally {
      await relay.stop();
    }
    expect(deleted.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(50);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectRecords,
  createTestDatabase,
  outage,
  stackEndpoints,
  testKafka,
  uniqueName,
  type TestDatabase,
} from '@trackops/testkit';
import { createOutbox, createRelay, migrate, outboxStatus } from '@trackops/outbox';
import { allArrived, judgeDelivery } from '../integration/support/delivery.js';

describe('a PostgreSQL restart', () => {
  let db: TestDatabase;
  const stack = stackEndpoints();
  const outbox = createOutbox();

  beforeAll(async () => {
    db = await createTestDatabase(stack.DATABASE_URL, 'outbox_pg_outage');
    await migrate(db.pool);
  });
  afterAll(() => db.drop());

  it('is ridden out: the relay reconnects (LISTEN included) and publishes everything committed', async () => {
    const prefix = uniqueName('pgoutage');
    const relay = createRelay({
      pool: db.pool,
      kafka: testKafka(stack.KAFKA_BROKERS),
      route: { topic: `${prefix}.\${routedByValue}` },
      pollIntervalMs: 200,
      backoff: { initialMs: 200, maxMs: 1000 },
    });
    const errors: string[] = [];
    relay.on('relay:error', ({ error }) => errors.push(error.message));
    await relay.start();

    // Writers keep trying through the outage; only what committed counts as written.
    const written = new Map<string, string[]>();
    let writing = true;
    let failedWrites = 0;
    const writer = (async () => {
      for (let round = 0; writing; round++) {
        const events = Array.from({ length: 20 }, (_, i) => ({
          aggregateType: 'parcel',
          aggregateId: `p-${i % 5}`,
          type: 'T',
          payload: { round, i },
        }));
        try {
          const ids = await outbox.enqueue(db.pool, events);
          events.forEach((event, i) =>
            written.set(event.aggregateId, [...(written.get(event.aggregateId) ?? []), ids[i]!]),
          );
        } catch {
          failedWrites++;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await outage('postgres', 3000);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    } finally {
      writing = false;
      await writer;
    }
    const total = [...written.values()].reduce((sum, ids) => sum + ids.length, 0);
    await expect
      .poll(async () => (await outboxStatus(db.pool)).backlog, { timeout: 30_000, interval: 500 })
      .toBe(0);

    // New rows after the restart are still noticed promptly: LISTEN came back (or polling did).
    const [lateId] = await outbox.enqueue(db.pool, {
      aggregateType: 'parcel',
      aggregateId: 'late',
      type: 'T',
      payload: {},
    });
    written.set('late', [lateId!]);
    const records = await collectRecords(testKafka(stack.KAFKA_BROKERS), {
      topics: [`${prefix}.parcel`],
      until: allArrived(total + 1),
      timeoutMs: 30_000,
    });
    await relay.stop();
    const report = judgeDelivery(written, records);
    console.log(
      `[postgres restart] ${total} events committed around a 3 s stop (${failedWrites} writes failed during it); ${errors.length} relay errors; ${report.duplicates} duplicates`,
    );
    expect(failedWrites).toBeGreaterThan(0);
    expect(errors.length).toBeGreaterThan(0);
    expect(report.missing).toEqual([]);
    expect(report.outOfOrder).toEqual([]);
  });
});

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

describe('a Kafka outage', () => {
  let db: TestDatabase;
  const stack = stackEndpoints();
  const outbox = createOutbox();

  beforeAll(async () => {
    db = await createTestDatabase(stack.DATABASE_URL, 'outbox_outage');
    await migrate(db.pool);
  });
  afterAll(() => db.drop());

  it('is ridden out: the relay recovers by itself when the broker returns after 10 s, losing nothing', async () => {
    const prefix = uniqueName('outage');
    const relay = createRelay({
      pool: db.pool,
      kafka: testKafka(stack.KAFKA_BROKERS),
      route: { topic: `${prefix}.\${routedByValue}` },
      pollIntervalMs: 100,
      backoff: { initialMs: 200, maxMs: 2000 },
    });
    const errors: string[] = [];
    relay.on('relay:error', ({ error }) => errors.push(error.message));
    await relay.start();

    // Writers keep committing through the outage: 30 events every 100 ms over 10 aggregates.
    const written = new Map<string, string[]>();
    let writing = true;
    const writer = (async () => {
      for (let round = 0; writing; round++) {
        const events = Array.from({ length: 30 }, (_, i) => ({
          aggregateType: 'parcel',
          aggregateId: `p-${i % 10}`,
          type: 'T',
          payload: { round, i },
        }));
        const ids = await outbox.enqueue(db.pool, events);
        events.forEach((event, i) =>
          written.set(event.aggregateId, [...(written.get(event.aggregateId) ?? []), ids[i]!]),
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    try {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await outage('kafka', 10_000);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    } finally {
      writing = false;
      await writer;
    }
    const total = [...written.values()].reduce((sum, ids) => sum + ids.length, 0);
    await expect
      .poll(async () => (await outboxStatus(db.pool)).backlog, { timeout: 60_000, interval: 500 })
      .toBe(0);
    await relay.stop();

    const records = await collectRecords(testKafka(stack.KAFKA_BROKERS), {
      topics: [`${prefix}.parcel`],
      until: allArrived(total),
      timeoutMs: 60_000,
    });
    const report = judgeDelivery(written, records);
    console.log(
      `[kafka outage] ${total} events written across a 10 s broker stop; ${errors.length} relay errors; ${report.duplicates} duplicates`,
    );
    expect(errors.length).toBeGreaterThan(0);
    expect(report.missing).toEqual([]);
    expect(report.outOfOrder).toEqual([]);
    expect((await outboxStatus(db.pool)).dead).toBe(0);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectRecords,
  createTestDatabase,
  stackEndpoints,
  testKafka,
  uniqueName,
  type TestDatabase,
} from '@trackops/testkit';
import { outage, type StoppableServer } from '@trackops/stack/test-support';
import { createOutbox, createRelay, migrate, outboxStatus } from '@trackops/outbox';
import { allArrived, judgeDelivery, type DeliveryReport } from '../integration/support/delivery.js';

/**
 * A relay runs while writers keep committing (20 events every 100 ms over 5 aggregates) and a
 * server of the stack is stopped and started again. Only what committed counts as written.
 */
describe('outages under a running relay', () => {
  let db: TestDatabase;
  const stack = stackEndpoints();
  const outbox = createOutbox();

  beforeAll(async () => {
    db = await createTestDatabase(stack.DATABASE_URL, 'outbox_outage');
    await migrate(db.pool);
  });
  afterAll(() => db.drop());

  async function relayThrough(
    server: StoppableServer,
    downMs: number,
  ): Promise<{ report: DeliveryReport; relayErrors: number; failedWrites: number; total: number }> {
    const prefix = uniqueName(`outage_${server}`);
    const relay = createRelay({
      pool: db.pool,
      kafka: testKafka(stack.KAFKA_BROKERS),
      route: { topic: `${prefix}.\${routedByValue}` },
      pollIntervalMs: 200,
      backoff: { initialMs: 200, maxMs: 2000 },
    });
    let relayErrors = 0;
    relay.on('relay:error', () => relayErrors++);
    await relay.start();
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
      await outage(server, downMs);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    } finally {
      writing = false;
      await writer;
    }
    await expect
      .poll(async () => (await outboxStatus(db.pool)).backlog, { timeout: 60_000, interval: 500 })
      .toBe(0);
    // A row written after the outage is still noticed: LISTEN came back (or polling did).
    const [lateId] = await outbox.enqueue(db.pool, {
      aggregateType: 'parcel',
      aggregateId: 'late',
      type: 'T',
      payload: {},
    });
    written.set('late', [lateId!]);
    const total = [...written.values()].reduce((sum, ids) => sum + ids.length, 0);
    const records = await collectRecords(testKafka(stack.KAFKA_BROKERS), {
      topics: [`${prefix}.parcel`],
      until: allArrived(total),
      timeoutMs: 60_000,
    });
    await relay.stop();
    const report = judgeDelivery(written, records);
    console.log(
      `[${server} outage] ${total} events committed around a ${downMs} ms stop (${failedWrites} writes failed); ${relayErrors} relay errors; ${report.duplicates} duplicates`,
    );
    return { report, relayErrors, failedWrites, total };
  }

  it('rides out Kafka stopped for 10 s: the relay recovers by itself, losing nothing, order intact', async () => {
    const { report, relayErrors } = await relayThrough('kafka', 10_000);
    expect(relayErrors).toBeGreaterThan(0);
    expect(report.missing).toEqual([]);
    expect(report.outOfOrder).toEqual([]);
    expect((await outboxStatus(db.pool)).dead).toBe(0);
  });

  it('rides out a PostgreSQL restart: the relay reconnects (LISTEN included) and publishes everything committed', async () => {
    const { report, relayErrors, failedWrites } = await relayThrough('postgres', 3000);
    expect(failedWrites).toBeGreaterThan(0);
    expect(relayErrors).toBeGreaterThan(0);
    expect(report.missing).toEqual([]);
    expect(report.outOfOrder).toEqual([]);
  });
});

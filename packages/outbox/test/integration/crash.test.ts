import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  collectRecords,
  createTestDatabase,
  stackEndpoints,
  testKafka,
  uniqueName,
  type TestDatabase,
} from '@trackops/testkit';
import { createOutbox, migrate, outboxStatus, type OutboxEvent } from '@trackops/outbox';
import { allArrived, judgeDelivery } from './support/delivery.js';
import { startRelayProcess, type RelayProcess } from './support/processes.js';

/**
 * Relays in processes of their own, killed with SIGKILL: what is promised is that nothing is
 * lost and no aggregate's events are reordered; duplicates are allowed and reported.
 */
describe('relay crashes', () => {
  let db: TestDatabase;
  const outbox = createOutbox();
  const stack = stackEndpoints();
  const kafka = testKafka(stack.KAFKA_BROKERS);
  const processes: RelayProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(stack.DATABASE_URL, 'outbox_crash');
    await migrate(db.pool);
  });
  // Relays of one test would otherwise relay the next test's rows to the old topic.
  afterEach(async () => {
    await Promise.all(processes.splice(0).map((relay) => relay.stop()));
  });
  afterAll(() => db.drop());
  const spawnRelay = async (topic: string, crashAfterBatches?: number): Promise<RelayProcess> => {
    const relay = await startRelayProcess({
      DATABASE_URL: db.url,
      KAFKA_BROKERS: stack.KAFKA_BROKERS,
      TOPIC: topic,
      BATCH_SIZE: '250',
      ...(crashAfterBatches ? { CRASH_AFTER_BATCHES: String(crashAfterBatches) } : {}),
    });
    processes.push(relay);
    return relay;
  };

  it('loses nothing and keeps per-aggregate order when the relay is SIGKILLed mid-drain of 10,000 events', async () => {
    const prefix = uniqueName('crash');
    const written = new Map<string, string[]>();
    for (let batch = 0; batch < 20; batch++) {
      const events: OutboxEvent[] = Array.from({ length: 500 }, (_, i) => ({
        aggregateType: 'parcel',
        aggregateId: `p-${(batch * 500 + i) % 50}`,
        type: 'PARCEL_MOVED',
        payload: { n: batch * 500 + i },
      }));
      const ids = await outbox.enqueue(db.pool, events);
      events.forEach((event, i) =>
        written.set(event.aggregateId, [...(written.get(event.aggregateId) ?? []), ids[i]!]),
      );
    }

    // The first relay kills itself (SIGKILL) in its 9th batch, after the broker acknowledged
    // the batch and before the rows were marked published: the worst moment.
    const first = await spawnRelay(`${prefix}.\${routedByValue}`, 9);
    await first.exited;
    const backlogAtCrash = (await outboxStatus(db.pool)).backlog;
    await spawnRelay(`${prefix}.\${routedByValue}`);

    const records = await collectRecords(kafka, {
      topics: [`${prefix}.parcel`],
      until: allArrived(10_000),
      timeoutMs: 120_000,
    });
    const report = judgeDelivery(written, records);
    console.log(
      `[crash] killed with ${backlogAtCrash} rows unpublished; received ${records.length} records: ${report.distinct} distinct, ${report.duplicates} duplicates`,
    );
    // Nothing of the crashed cycle (its first 9 batches) was committed as published.
    expect(backlogAtCrash).toBe(10_000);
    // The crashed cycle's 9 batches were on Kafka but not marked: they went out again.
    expect(report.duplicates).toBe(9 * 250);
    expect(report.missing).toEqual([]);
    expect(report.outOfOrder).toEqual([]);
    expect(report.distinct).toBe(10_000);
    await expect
      .poll(async () => (await outboxStatus(db.pool)).backlog, { timeout: 10_000 })
      .toBe(0);
  });

  it('with three relays and 100 aggregates written concurrently, keeps order and hands over when the active one is killed', async () => {
    const prefix = uniqueName('crash3');
    const topic = `${prefix}.\${routedByValue}`;
    const relays = await Promise.all([spawnRelay(topic), spawnRelay(topic), spawnRelay(topic)]);
    await db.pool.query('create table counters (aggregate text primary key, n integer not null)');
    await db.pool.query(
      "insert into counters select 'a-' || i, 0 from generate_series(0, 99) as i",
    );

    // Ten writers, each transaction bumping an aggregate's counter (a row lock, as a business
    // update would take) and enqueueing the event that says so.
    const perAggregate = new Map<string, Array<{ n: number; id: string }>>();
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; i < 200; i++) {
        const aggregate = `a-${(w * 37 + i * 11) % 100}`;
        const client = await db.pool.connect();
        try {
          await client.query('begin');
          const { rows } = await client.query<{ n: number }>(
            'update counters set n = n + 1 where aggregate = $1 returning n',
            [aggregate],
          );
          const n = rows[0]!.n;
          const [id] = await outbox.enqueue(client, {
            aggregateType: 'account',
            aggregateId: aggregate,
            type: 'BUMPED',
            payload: { n },
          });
          await client.query('commit');
          perAggregate.set(aggregate, [...(perAggregate.get(aggregate) ?? []), { n, id: id! }]);
        } finally {
          client.release();
        }
      }
    };
    const writing = Promise.all(Array.from({ length: 10 }, (_, w) => writer(w)));
    // Kill whichever relay is publishing once the stream is under way.
    await Promise.race(relays.map((relay) => relay.waitForPublished(300, 60_000)));
    const active = relays.find((relay) => relay.published() >= 300)!;
    await active.kill();
    await writing;

    const written = new Map(
      [...perAggregate].map(([aggregate, events]) => [
        aggregate,
        [...events].sort((a, b) => a.n - b.n).map((e) => e.id),
      ]),
    );
    const records = await collectRecords(kafka, {
      topics: [`${prefix}.account`],
      until: allArrived(2000),
      timeoutMs: 120_000,
    });
    const report = judgeDelivery(written, records);
    const survivors = relays.filter((relay) => relay !== active).map((relay) => relay.published());
    console.log(
      `[3 relays] killed one after ${active.published()} rows; survivors published ${survivors.join(' + ')}; ${report.distinct} distinct, ${report.duplicates} duplicates`,
    );
    expect(report.missing).toEqual([]);
    expect(report.outOfOrder).toEqual([]);
    expect(report.distinct).toBe(2000);
    expect(survivors.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });
});

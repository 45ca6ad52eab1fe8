import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  collectRecords,
  createTestDatabase,
  stackEndpoints,
  testKafka,
  uniqueName,
  type ReceivedRecord,
  type TestDatabase,
} from '@trackops/testkit';
import {
  createOutbox,
  createRelay,
  listDead,
  migrate,
  outboxStatus,
  purgeDead,
  replayDead,
  type OutboxRelay,
} from '@trackops/outbox';

describe('the relay', () => {
  let db: TestDatabase;
  const outbox = createOutbox();
  const kafka = testKafka(stackEndpoints().KAFKA_BROKERS);
  const relays: OutboxRelay[] = [];
  let prefix: string;

  beforeAll(async () => {
    db = await createTestDatabase(stackEndpoints().DATABASE_URL, 'outbox_relay');
    await migrate(db.pool);
  });
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
    expect(relays).toHaveLength(0);
  });
  afterAll(() => db.drop());

  const startRelay = async (
    options: Partial<Parameters<typeof createRelay>[0]> = {},
  ): Promise<OutboxRelay> => {
    const relay = createRelay({
      pool: db.pool,
      kafka,
      route: { topic: `${prefix}.\${routedByValue}` },
      pollIntervalMs: 200,
      ...options,
    });
    relays.push(relay);
    await relay.start();
    return relay;
  };
  const values = (records: readonly ReceivedRecord[], key: string) =>
    records
      .filter((record) => record.key === key)
      .map((record) => JSON.parse(record.value ?? 'null') as { n: number });

  it('publishes each row once as key = aggregate id, value = payload, with id/type/trace and extra headers, and marks it published', async () => {
    prefix = uniqueName('relay');
    const [id] = await outbox.enqueue(db.pool, {
      aggregateType: 'parcel',
      aggregateId: 'p-1',
      type: 'PARCEL_SHIPPED',
      payload: { n: 1, text: 'a, b: "c"' },
      correlationId: 'corr-1',
      causationId: 'cause-1',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      headers: { 'saga-id': 's-1', 'reply-topic': 'replies' },
    });
    // Numbers JavaScript cannot hold exactly, written by SQL: the relay must not round them.
    await db.pool.query(
      `update outbox set payload = payload || '{"price": 1.50, "big": 12345678901234567890}'::jsonb where id = $1`,
      [id],
    );
    await startRelay();

    const [record] = await collectRecords(kafka, {
      topics: [`${prefix}.parcel`],
      until: (r) => r.length >= 1,
      timeoutMs: 15_000,
    });
    expect(record).toMatchObject({
      key: 'p-1',
      // jsonb as PostgreSQL prints it: numbers exactly as stored.
      value: '{"n": 1, "big": 12345678901234567890, "text": "a, b: \\"c\\"", "price": 1.50}',
      headers: {
        id,
        type: 'PARCEL_SHIPPED',
        'correlation-id': 'corr-1',
        'causation-id': 'cause-1',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        'saga-id': 's-1',
        'reply-topic': 'replies',
      },
    });
    await expect.poll(async () => (await outboxStatus(db.pool)).backlog, { timeout: 5000 }).toBe(0);
  });

  it('keeps per-aggregate order across many small batches and never publishes a rolled-back event', async () => {
    prefix = uniqueName('relay');
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      await outbox.enqueue(client, {
        aggregateType: 'parcel',
        aggregateId: 'ghost',
        type: 'T',
        payload: { n: -1 },
      });
      await client.query('rollback');
    } finally {
      client.release();
    }
    const events = Array.from({ length: 200 }, (_, i) => ({
      aggregateType: 'parcel',
      aggregateId: `p-${i % 7}`,
      type: 'T',
      payload: { n: i },
    }));
    for (let i = 0; i < events.length; i += 20)
      await outbox.enqueue(db.pool, events.slice(i, i + 20));
    await startRelay({ batchSize: 13 });

    const records = await collectRecords(kafka, {
      topics: [`${prefix}.parcel`],
      until: (r) => r.length >= 200,
      timeoutMs: 30_000,
    });
    for (let a = 0; a < 7; a++) {
      const expected = events
        .filter((event) => event.aggregateId === `p-${a}`)
        .map((event) => event.payload);
      expect(values(records, `p-${a}`)).toEqual(expected);
    }
    expect(records.some((record) => record.key === 'ghost')).toBe(false);
    expect(records).toHaveLength(200);
  });

  it('wakes on NOTIFY instead of waiting for the poll', async () => {
    prefix = uniqueName('relay');
    await startRelay({ pollIntervalMs: 120_000 });
    // Give the relay's first (empty) batch time to finish so it is idle on LISTEN.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await outbox.enqueue(db.pool, {
      aggregateType: 'parcel',
      aggregateId: 'p-n',
      type: 'T',
      payload: { n: 1 },
    });
    const records = await collectRecords(kafka, {
      topics: [`${prefix}.parcel`],
      until: (r) => r.length >= 1,
      timeoutMs: 10_000,
    });
    expect(values(records, 'p-n')).toEqual([{ n: 1 }]);
  });

  it('sends a poison row dead after maxAttempts, holds its aggregate, lets others flow, and replays once fixed', async () => {
    prefix = uniqueName('relay');
    const huge = 'x'.repeat(1_200_000); // over the broker's 1 MB message.max.bytes
    await outbox.enqueue(db.pool, [
      { aggregateType: 'parcel', aggregateId: 'poison', type: 'T', payload: { n: 1, huge } },
      { aggregateType: 'parcel', aggregateId: 'poison', type: 'T', payload: { n: 2 } },
      { aggregateType: 'parcel', aggregateId: 'healthy', type: 'T', payload: { n: 1 } },
      { aggregateType: 'parcel', aggregateId: 'healthy', type: 'T', payload: { n: 2 } },
    ]);
    const failures: Array<{ dead: boolean }> = [];
    const relay = await startRelay({
      maxAttempts: 3,
      backoff: { initialMs: 50, maxMs: 100 },
      maxBatchBytes: 2 * 1024 * 1024,
    });
    relay.on('relay:event:failed', (event) => failures.push({ dead: event.dead }));

    const healthy = await collectRecords(kafka, {
      topics: [`${prefix}.parcel`],
      until: (r) => values(r, 'healthy').length >= 2,
      timeoutMs: 20_000,
    });
    expect(values(healthy, 'healthy')).toEqual([{ n: 1 }, { n: 2 }]);
    await expect.poll(async () => (await outboxStatus(db.pool)).dead, { timeout: 15_000 }).toBe(1);
    expect(failures.map((failure) => failure.dead)).toEqual([false, false, true]);
    const [dead] = await listDead(db.pool);
    expect(dead).toMatchObject({ aggregateId: 'poison', attempts: 3 });
    expect(dead?.lastError).toMatch(/too large|MESSAGE_TOO_LARGE|larger/i);
    // The held-back event of the poison aggregate was not published.
    expect(values(healthy, 'poison')).toEqual([]);

    // Fix the cause, replay: the dead row goes out, then the one it held back, in order.
    await db.pool.query("update outbox set payload = payload - 'huge' where id = $1", [dead?.id]);
    expect(await replayDead(db.pool)).toBe(1);
    const all = await collectRecords(kafka, {
      topics: [`${prefix}.parcel`],
      until: (r) => values(r, 'poison').length >= 2,
      timeoutMs: 20_000,
    });
    expect(values(all, 'poison')).toEqual([{ n: 1 }, { n: 2 }]);
    // Marked published right after the broker's acknowledgement, so a moment after arrival.
    await expect
      .poll(async () => outboxStatus(db.pool), { timeout: 5000 })
      .toMatchObject({ backlog: 0, dead: 0 });
  });

  it('routes by event type when asked (as the TrackOps app does: ORDER_CREATED, ORDER_CANCELLED)', async () => {
    prefix = uniqueName('relay');
    await outbox.enqueue(db.pool, [
      { aggregateType: 'order', aggregateId: 'o-1', type: 'ORDER_CREATED', payload: { n: 1 } },
      { aggregateType: 'order', aggregateId: 'o-1', type: 'ORDER_CANCELLED', payload: { n: 2 } },
    ]);
    await startRelay({ route: { by: 'type', topic: `${prefix}.\${routedByValue}` } });

    const records = await collectRecords(kafka, {
      topics: [`${prefix}.ORDER_CREATED`, `${prefix}.ORDER_CANCELLED`],
      until: (r) => r.length >= 2,
      timeoutMs: 20_000,
    });
    expect(
      records.map((record) => [record.topic.slice(prefix.length + 1), record.key]).sort(),
    ).toEqual([
      ['ORDER_CANCELLED', 'o-1'],
      ['ORDER_CREATED', 'o-1'],
    ]);
  });

  it("with onDeadEvent 'skip', lets a dead row's later events flow", async () => {
    prefix = uniqueName('relay');
    await outbox.enqueue(db.pool, [
      {
        aggregateType: 'parcel',
        aggregateId: 'skipper',
        type: 'T',
        payload: { n: 1, huge: 'x'.repeat(1_200_000) },
      },
      { aggregateType: 'parcel', aggregateId: 'skipper', type: 'T', payload: { n: 2 } },
    ]);
    await startRelay({ maxAttempts: 1, onDeadEvent: 'skip', maxBatchBytes: 2 * 1024 * 1024 });

    const records = await collectRecords(kafka, {
      topics: [`${prefix}.parcel`],
      until: (r) => values(r, 'skipper').length >= 1,
      timeoutMs: 20_000,
    });
    expect(values(records, 'skipper')).toEqual([{ n: 2 }]);
    await expect.poll(async () => (await outboxStatus(db.pool)).dead, { timeout: 5000 }).toBe(1);
    // Leave no dead row for the tests after this one.
    expect(await purgeDead(db.pool)).toBe(1);
  });

  it('rejects bad options at construction, naming each option', () => {
    expect(() => createRelay({ pool: db.pool, kafka, batchSize: 0 })).toThrow(
      /createRelay options: batchSize: /,
    );
    expect(() => createRelay({ pool: {} as never, kafka })).toThrow(/pool: must be a pg\.Pool/);
    expect(() => createRelay({ pool: db.pool, kafka, route: { topic: 'bad topic' } })).toThrow(
      /route\.topic: must contain/,
    );
    expect(() => createRelay({ pool: db.pool, kafka, table: { table: 'x y' } })).toThrow(
      /table\.table must be/,
    );
    expect(() => createRelay({ pool: db.pool, kafka, backoff: { initialMs: -1 } })).toThrow(
      /backoff\.initialMs/,
    );
    expect(() => createRelay({ pool: db.pool, kafka, bogus: 1 } as never)).toThrow(/bogus/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectRecords,
  createTestDatabase,
  createTopics,
  deleteConnector,
  putConnector,
  waitForSlot,
  stackEndpoints,
  testKafka,
  uniqueName,
  withDatabase,
  type ReceivedRecord,
  type TestDatabase,
} from '@trackops/testkit';
import {
  createOutbox,
  createRelay,
  debeziumOutboxConnector,
  migrate,
  type OutboxEvent,
  type OutboxRelay,
} from '@trackops/outbox';

/**
 * The same outbox rows, relayed once by the TrackOps relay and once by Debezium's Outbox Event
 * Router (configured by `debeziumOutboxConnector` from the same options), must reach Kafka as
 * the same records: topic, partition, key, value and headers.
 */
describe('the outbox contract with Debezium', () => {
  let db: TestDatabase;
  const stack = stackEndpoints();
  const kafka = testKafka(stack.KAFKA_BROKERS);
  let connectorName: string | undefined;
  let relay: OutboxRelay | undefined;

  beforeAll(async () => {
    db = await createTestDatabase(stack.DATABASE_URL, 'outbox_contract');
    await migrate(db.pool);
  });
  afterAll(async () => {
    await relay?.stop();
    if (connectorName) await deleteConnector(stack.CONNECT_URL, connectorName);
    await db.drop();
  });

  it('publishes every row as the same record through the relay and through the Outbox Event Router', async () => {
    const relayPrefix = uniqueName('viarelay');
    const routerPrefix = uniqueName('viarouter');
    const types = ['parcel', 'order'];
    // Three partitions each, so "same partition" means something.
    await createTopics(
      kafka,
      types.flatMap((type) => [`${relayPrefix}.${type}`, `${routerPrefix}.${type}`]),
      3,
    );

    const connector = debeziumOutboxConnector({
      name: uniqueName('outbox_router'),
      databaseUrl: withDatabase(stack.CONNECT_DATABASE_URL, db.name),
      route: { topic: `${routerPrefix}.\${routedByValue}` },
      snapshotMode: 'no_data',
    });
    connectorName = connector.name;
    await putConnector(stack.CONNECT_URL, connector.name, connector.config);
    await waitForSlot(stack.DATABASE_URL, connector.config['slot.name']!);

    const events: OutboxEvent[] = [
      {
        aggregateType: 'parcel',
        aggregateId: 'p-1',
        type: 'PARCEL_CREATED',
        payload: { n: 1, weight: '1.50', tags: ['a', 'b'], nested: { x: null } },
      },
      {
        aggregateType: 'parcel',
        aggregateId: 'p-1',
        type: 'PARCEL_SHIPPED',
        payload: { n: 2 },
        correlationId: 'corr-1',
        causationId: 'cause-1',
      },
      {
        aggregateType: 'order',
        aggregateId: 'o-7',
        type: 'ORDER_CREATED',
        payload: { total: 12.5, note: 'ünïcødé "quoted"' },
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      },
      {
        aggregateType: 'order',
        aggregateId: 'o-8',
        type: 'ORDER_CREATED',
        payload: null,
        correlationId: 'corr-2',
      },
      ...Array.from({ length: 20 }, (_, i) => ({
        aggregateType: 'parcel',
        aggregateId: `p-${i % 6}`,
        type: 'PARCEL_MOVED',
        payload: { n: i, at: `hub-${i}` },
      })),
    ];
    const ids = await createOutbox().enqueue(db.pool, events);
    // A row written by SQL, with numbers JavaScript cannot hold exactly.
    const { rows } = await db.pool.query<{ id: string }>(
      `insert into outbox (id, aggregatetype, aggregateid, type, payload)
       values (gen_random_uuid(), 'parcel', 'p-x', 'EXACT', '{"exact": 1.50, "big": 12345678901234567890}') returning id::text`,
    );
    ids.push(rows[0]!.id);

    relay = createRelay({
      pool: db.pool,
      kafka,
      route: { topic: `${relayPrefix}.\${routedByValue}` },
      pollIntervalMs: 100,
    });
    await relay.start();
    const complete = (prefix: string) => (records: readonly ReceivedRecord[]) =>
      new Set(records.filter((r) => r.topic.startsWith(`${prefix}.`)).map((r) => r.headers['id']))
        .size >= ids.length;
    const topics = types.flatMap((type) => [`${relayPrefix}.${type}`, `${routerPrefix}.${type}`]);
    const records = await collectRecords(kafka, {
      topics,
      until: (received) => complete(relayPrefix)(received) && complete(routerPrefix)(received),
      timeoutMs: 45_000,
    });
    await relay.stop();

    const comparable = (record: ReceivedRecord, prefix: string) => ({
      topic: record.topic.slice(prefix.length + 1),
      partition: record.partition,
      key: record.key,
      value: record.value,
      // The two differences the README lists: Debezium's own context headers, and the null
      // headers the router writes for NULL columns, which the relay (kafkajs) leaves out.
      headers: Object.fromEntries(
        Object.entries(record.headers).filter(
          ([name, value]) => !name.startsWith('__debezium') && value !== null,
        ),
      ),
    });
    const byId = (prefix: string) =>
      new Map(
        records
          .filter((r) => r.topic.startsWith(`${prefix}.`))
          .map((r) => [r.headers['id'], comparable(r, prefix)]),
      );
    const viaRelay = byId(relayPrefix);
    const viaRouter = byId(routerPrefix);
    for (const id of ids) {
      expect({ id, ...viaRouter.get(id) }).toEqual({ id, ...viaRelay.get(id) });
    }
    expect(viaRelay.get(rows[0]!.id)?.value).toBe('{"big": 12345678901234567890, "exact": 1.50}');
    // Show the differences the comparison set aside, so a change in them is noticed.
    const routerOnly = new Set(
      records
        .filter((r) => r.topic.startsWith(`${routerPrefix}.`))
        .flatMap((r) =>
          Object.entries(r.headers)
            .filter(([name, value]) => name.startsWith('__debezium') || value === null)
            .map(([name]) => name),
        ),
    );
    expect([...routerOnly].sort()).toEqual([
      '__debezium.context.connectorLogicalName',
      '__debezium.context.connectorName',
      '__debezium.context.taskId',
      'causation-id',
      'correlation-id',
      'traceparent',
    ]);
  });
});

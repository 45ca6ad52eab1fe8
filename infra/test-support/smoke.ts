/**
 * The stack's smoke path: one trip through each real component. The smoke tests assert on
 * what these return and `npm run demo` prints it, so both prove the same thing.
 */
import {
  collectRecords,
  createTestDatabase,
  createTopics,
  debeziumTestConfig,
  deleteConnector,
  putConnector,
  testKafka,
  testRedis,
  uniqueName,
  waitForSlot,
  type ReceivedRecord,
  type StackEndpoints,
} from '@trackops/testkit/helpers';

/** What one row's trip from PostgreSQL through Debezium to Kafka looked like. */
export interface CdcSmokeResult {
  /** The row as inserted. */
  inserted: { id: number; label: string; weight: string };
  /** The change event as it arrived on Kafka. */
  record: ReceivedRecord;
  /** `JSON.parse` of the record's key and value (JsonConverter, schemas disabled). */
  key: unknown;
  value: { op?: string; after?: Record<string, unknown>; source?: Record<string, unknown> };
  /** Milliseconds from the insert's commit to the record's arrival at the consumer. */
  commitToConsumeMs: number;
}

/**
 * Creates a database and table, registers a Debezium connector over Connect's REST API,
 * inserts a row and waits for its change event on Kafka. Cleans everything up again.
 */
export async function cdcSmoke(stack: StackEndpoints): Promise<CdcSmokeResult> {
  const db = await createTestDatabase(stack.DATABASE_URL, 'smoke');
  const kafka = testKafka(stack.KAFKA_BROKERS);
  const connector = db.name;
  const topic = `${db.name}.public.parcels`;
  try {
    await db.pool.query(
      'create table parcels (id bigint primary key, label text not null, weight numeric(8,2) not null)',
    );
    await putConnector(
      stack.CONNECT_URL,
      connector,
      debeziumTestConfig(
        {
          databaseUrl: stack.CONNECT_DATABASE_URL,
          database: db.name,
          topicPrefix: db.name,
          tables: ['public.parcels'],
        },
        {
          // A connector's converter settings apply only when it names the converter too.
          'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
          'key.converter.schemas.enable': 'false',
          'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
          'value.converter.schemas.enable': 'false',
          'decimal.handling.mode': 'string',
          'snapshot.mode': 'no_data',
        },
      ),
    );
    await waitForSlot(stack.DATABASE_URL, db.name);
    const inserted = { id: 42, label: 'smoke parcel', weight: '12.50' };
    await db.pool.query('insert into parcels (id, label, weight) values ($1, $2, $3)', [
      inserted.id,
      inserted.label,
      inserted.weight,
    ]);
    const committedAt = Date.now();
    const [record] = await collectRecords(kafka, {
      topics: [topic],
      until: (records) => records.length > 0,
      timeoutMs: 60_000,
    });
    const commitToConsumeMs = Date.now() - committedAt;
    if (!record) throw new Error(`no change event arrived on ${topic}`);
    return {
      inserted,
      record,
      key: JSON.parse(record.key ?? 'null'),
      value: JSON.parse(record.value ?? 'null') as CdcSmokeResult['value'],
      commitToConsumeMs,
    };
  } finally {
    await deleteConnector(stack.CONNECT_URL, connector);
    await db.drop();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

/** What a round trip through Kafka with an idempotent, acks=all producer returned. */
export interface KafkaSmokeResult {
  topic: string;
  sent: Array<{ key: string; value: string }>;
  received: ReceivedRecord[];
}

/**
 * Produces keyed records with an idempotent producer (acks=all) to a 3-partition topic and
 * consumes them back in a consumer group.
 */
export async function kafkaSmoke(stack: StackEndpoints, count = 30): Promise<KafkaSmokeResult> {
  const kafka = testKafka(stack.KAFKA_BROKERS);
  const topic = uniqueName('smoke');
  await createTopics(kafka, [topic], 3);
  // kafkajs' idempotent producer keeps order only with one request in flight (it lacks
  // KAFKA-5494's handling for more).
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const sent = Array.from({ length: count }, (_, index) => ({
    key: `parcel-${index % 5}`,
    value: `event-${index}`,
  }));
  try {
    for (const message of sent) await producer.send({ topic, acks: -1, messages: [message] });
  } finally {
    await producer.disconnect();
  }
  try {
    const received = await collectRecords(kafka, {
      topics: [topic],
      until: (records) => records.length >= count,
      timeoutMs: 30_000,
    });
    return { topic, sent, received };
  } finally {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

/** What a Redis round trip wrote and read back. */
export interface RedisSmokeResult {
  key: string;
  written: string;
  read: string | null;
  ttlSeconds: number;
}

/** Writes a key with a TTL, reads it back, deletes it. */
export async function redisSmoke(stack: StackEndpoints): Promise<RedisSmokeResult> {
  const { redis, keyPrefix } = testRedis(stack.REDIS_URL, 'smoke');
  const key = `${keyPrefix}parcel:42`;
  const written = JSON.stringify({ id: 42, status: 'IN_TRANSIT' });
  try {
    await redis.set(key, written, 'EX', 60);
    const read = await redis.get(key);
    const ttlSeconds = await redis.ttl(key);
    await redis.del(key);
    return { key, written, read, ttlSeconds };
  } finally {
    redis.disconnect();
  }
}

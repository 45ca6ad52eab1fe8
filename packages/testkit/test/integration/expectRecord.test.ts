import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { Consumer, Kafka } from 'kafkajs';
import { z } from 'zod';
import {
  createTopics,
  expectRecord,
  stackEndpoints,
  testKafka,
  uniqueName,
  type ExpectedRecord,
} from '@trackops/testkit';

const OrderCreated = z.object({ orderId: z.string(), total: z.number() });

/**
 * The client, with every consumer it hands out watched for its DISCONNECT event: the
 * assertions must leave no consumer behind, however they end.
 */
function watchedKafka(kafka: Kafka): { kafka: Kafka; consumers: Array<{ disconnected: boolean }> } {
  const consumers: Array<{ disconnected: boolean }> = [];
  const watched = Object.create(kafka) as Kafka;
  watched.consumer = (config) => {
    const consumer: Consumer = kafka.consumer(config);
    const state = { disconnected: false };
    consumer.on(consumer.events.DISCONNECT, () => {
      state.disconnected = true;
    });
    consumers.push(state);
    return consumer;
  };
  return { kafka: watched, consumers };
}

describe('expectRecord', () => {
  const kafka = testKafka(stackEndpoints().KAFKA_BROKERS);
  const topic = uniqueName('testkit_orders');
  const producer = kafka.producer();

  beforeAll(async () => {
    await createTopics(kafka, [topic]);
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: 'o-1', value: JSON.stringify({ orderId: 'o-1', total: '12.50' }) },
        { key: 'o-2', value: 'not json' },
        {
          key: 'o-3',
          value: JSON.stringify({ orderId: 'o-3', total: 7 }),
          headers: { type: 'ORDER_CREATED' },
        },
      ],
    });
  });
  afterAll(() => producer.disconnect());

  it('resolves with the first matching record, its value parsed and typed by the schema', async () => {
    const { kafka: watched, consumers } = watchedKafka(kafka);

    const record = await expectRecord(watched, {
      topic,
      schema: OrderCreated,
      where: { orderId: 'o-3' },
      headers: { type: 'ORDER_CREATED' },
      within: 15_000,
    });

    expectTypeOf(record).toEqualTypeOf<ExpectedRecord<{ orderId: string; total: number }>>();
    expect(record).toMatchObject({
      topic,
      key: 'o-3',
      value: { orderId: 'o-3', total: 7 },
      rawValue: JSON.stringify({ orderId: 'o-3', total: 7 }),
      headers: { type: 'ORDER_CREATED' },
    });
    expect(consumers).toEqual([{ disconnected: true }]);
  });

  it('takes a predicate as the condition, and a key', async () => {
    const record = await expectRecord(kafka, {
      topic,
      key: 'o-3',
      schema: OrderCreated,
      where: (order) => order.total > 5,
    });

    expect(record.value.total).toBe(7);
  });

  it('rejects at the deadline, listing each record seen and why it failed, and disconnects', async () => {
    const { kafka: watched, consumers } = watchedKafka(kafka);
    const started = Date.now();

    const failure = expectRecord(watched, {
      topic,
      schema: OrderCreated,
      where: { total: 99 },
      within: 4_000,
    });

    await expect(failure).rejects.toMatchObject({
      name: 'TestkitError',
      code: 'TESTKIT_EXPECTATION_FAILED',
    });
    const message = await failure.catch((error: Error) => error.message);
    expect(message).toContain(
      `expectRecord: no record on ${topic} matched within 4000 ms; 3 record(s) seen, none matched:`,
    );
    expect(message).toMatch(
      /partition 0 offset 0 key="o-1": schema: total: Invalid input: expected number, received string/,
    );
    expect(message).toContain('partition 0 offset 1 key="o-2": value is not JSON: not json');
    expect(message).toContain('partition 0 offset 2 key="o-3": where total: expected 99, got 7');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(consumers).toEqual([{ disconnected: true }]);
  });

  it('names the key and header that differed', async () => {
    await expect(
      expectRecord(kafka, { topic, key: 'o-9', schema: OrderCreated, within: 3_000 }),
    ).rejects.toThrow(/offset 0 key="o-1": key is not "o-9"/);
    await expect(
      expectRecord(kafka, {
        topic,
        schema: OrderCreated,
        headers: { type: 'ORDER_PAID' },
        within: 3_000,
      }),
    ).rejects.toThrow(/offset 2 key="o-3": header type is "ORDER_CREATED", not "ORDER_PAID"/);
  });

  it('says so when the topic stays empty', async () => {
    const empty = uniqueName('testkit_empty');

    await expect(
      expectRecord(kafka, { topic: empty, schema: OrderCreated, within: 3_000 }),
    ).rejects.toThrow(
      `expectRecord: no record on ${empty} matched within 3000 ms; no record seen at all`,
    );
  });

  it('rejects bad options at once, naming the option', async () => {
    await expect(
      expectRecord(kafka, { topic: '', schema: OrderCreated, within: -1 }),
    ).rejects.toThrow(/invalid expectRecord options: topic: .*; within: /);
    await expect(
      expectRecord(kafka, { topic, schema: { parse: () => 1 } as never }),
    ).rejects.toThrow('schema: must be a zod schema or another Standard Schema');
  });
});

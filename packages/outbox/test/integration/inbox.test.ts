import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  collectRecords,
  createTestDatabase,
  createTopics,
  stackEndpoints,
  testKafka,
  uniqueName,
  type TestDatabase,
} from '@trackops/testkit';
import { createInboxConsumer, inbox, migrateInbox, type InboxConsumer } from '@trackops/outbox';

describe('the inbox', () => {
  let db: TestDatabase;
  const stack = stackEndpoints();
  const kafka = testKafka(stack.KAFKA_BROKERS);
  const consumers: InboxConsumer[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(stack.DATABASE_URL, 'outbox_inbox');
    await migrateInbox(db.pool);
    await db.pool.query(
      'create table balances (account text primary key, amount integer not null)',
    );
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
  });
  afterAll(() => db.drop());

  const balance = async (account: string): Promise<number | undefined> =>
    (
      await db.pool.query<{ amount: number }>('select amount from balances where account = $1', [
        account,
      ])
    ).rows[0]?.amount;
  const credit =
    (account: string, amount: number) =>
    (tx: { query: (text: string, values?: unknown[]) => Promise<unknown> }) =>
      tx.query(
        'insert into balances values ($1, $2) on conflict (account) do update set amount = balances.amount + excluded.amount',
        [account, amount],
      );

  it('applies a message once however often it is handled, and not at all when the handler throws', async () => {
    const key = { consumer: 'billing', messageId: 'm-1' };
    const results = await Promise.all(
      Array.from({ length: 5 }, () => inbox(db.pool, key, credit('acc-1', 10))),
    );
    expect(results.filter((result) => !result.duplicate)).toHaveLength(1);
    expect(await balance('acc-1')).toBe(10);

    await expect(
      inbox(db.pool, { consumer: 'billing', messageId: 'm-2' }, async (tx) => {
        await credit('acc-1', 100)(tx);
        throw new Error('handler failed after writing');
      }),
    ).rejects.toThrow('handler failed after writing');
    expect(await balance('acc-1')).toBe(10);
    // Not recorded either: a redelivery runs it again.
    expect(
      (await inbox(db.pool, { consumer: 'billing', messageId: 'm-2' }, credit('acc-1', 1)))
        .duplicate,
    ).toBe(false);
    expect(await balance('acc-1')).toBe(11);
  });

  it('consumes duplicate deliveries with one effect, and dead-letters a poison message with its context while the rest flow', async () => {
    const topic = uniqueName('inbox');
    await createTopics(kafka, [topic, `${topic}.dlq`], 2);
    const producer = kafka.producer();
    await producer.connect();
    // Every message twice (a producer retry or a relay crash would do this), one poison.
    const messages = [1, 2, 3, 4].flatMap((n) => {
      const message = {
        key: `acc-${n % 2}`,
        value: JSON.stringify({ amount: n === 3 ? 'poison' : n }),
        headers: { id: `evt-${n}` },
      };
      return [message, message];
    });
    await producer.send({ topic, messages });
    await producer.disconnect();

    const handled: string[] = [];
    const consumer = createInboxConsumer({
      kafka,
      pool: db.pool,
      groupId: uniqueName('g'),
      topics: [topic],
      fromBeginning: true,
      retry: { attempts: 2, initialMs: 10 },
      handler: async (message, tx) => {
        const { amount } = JSON.parse(message.value!.toString()) as { amount: unknown };
        if (typeof amount !== 'number')
          throw new TypeError(`amount must be a number, got ${JSON.stringify(amount)}`);
        handled.push(message.messageId);
        await credit(`c-${message.key!.toString()}`, amount)(tx);
      },
    });
    consumers.push(consumer);
    await consumer.start();

    const [dead] = await collectRecords(kafka, {
      topics: [`${topic}.dlq`],
      until: (records) => records.length >= 1,
      timeoutMs: 30_000,
    });
    await expect
      .poll(async () => [await balance('c-acc-1'), await balance('c-acc-0')], { timeout: 20_000 })
      .toEqual([1, 2 + 4]);
    expect(handled.sort()).toEqual(['evt-1', 'evt-2', 'evt-4']);
    expect(dead).toMatchObject({
      key: 'acc-1',
      value: JSON.stringify({ amount: 'poison' }),
      headers: {
        id: 'evt-3',
        'dlq-original-topic': topic,
        'dlq-error-class': 'TypeError',
        'dlq-error-message': 'amount must be a number, got "poison"',
        'dlq-attempts': '2',
        'kafka_dlt-original-topic': topic,
      },
    });
    expect(dead?.headers['dlq-original-offset']).toMatch(/^\d+$/);
    expect(dead?.headers['dlq-error-stack']).toContain('TypeError');
  });
});

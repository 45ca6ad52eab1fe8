import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import type pg from 'pg';
import { createOutbox, createRelay, defineEvent, migrate } from '@trackops/outbox';
import {
  createTestDatabase,
  expectOutboxContains,
  expectRecord,
  stackEndpoints,
  testKafka,
  uniqueName,
  type TestDatabase,
} from '@trackops/testkit';

/** The README's quick start, as a user's contract test of a service on the outbox. */
const OrderCreated = defineEvent({
  type: 'ORDER_CREATED',
  aggregateType: 'order',
  payload: z.object({ orderId: z.string(), total: z.string() }),
});
const outbox = createOutbox();

/** The service under test: the order and its event, in one transaction. */
async function placeOrder(pool: pg.Pool, order: { id: string; total: string }): Promise<void> {
  const tx = await pool.connect();
  try {
    await tx.query('begin');
    await tx.query('insert into orders (id, total) values ($1, $2)', [order.id, order.total]);
    await outbox.enqueue(
      tx,
      OrderCreated.create({
        aggregateId: order.id,
        payload: { orderId: order.id, total: order.total },
      }),
    );
    await tx.query('commit');
  } catch (error) {
    await tx.query('rollback');
    throw error;
  } finally {
    tx.release();
  }
}

const stack = stackEndpoints();
const kafka = testKafka(stack.KAFKA_BROKERS);
const topic = uniqueName('testkit_quick');
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase(stack.DATABASE_URL, 'testkit_quick');
  await migrate(db.pool);
  await db.pool.query('create table orders (id text primary key, total numeric not null)');
});
afterAll(() => db.drop());

it('records ORDER_CREATED with the order, and publishes it keyed by the order id', async () => {
  await placeOrder(db.pool, { id: 'o-1', total: '12.50' });

  const row = await expectOutboxContains(db.pool, {
    match: { type: 'ORDER_CREATED', aggregateId: 'o-1', payload: OrderCreated.payloadSchema },
  });
  expect(row.payload.total).toBe('12.50');

  const relay = createRelay({ pool: db.pool, kafka, route: { topic } });
  await relay.start();
  try {
    const record = await expectRecord(kafka, {
      topic,
      key: 'o-1',
      schema: OrderCreated.payloadSchema,
      where: { total: '12.50' },
      within: 20_000,
    });
    expect(record.headers['type']).toBe('ORDER_CREATED');
    expect(record.headers['id']).toBe(row.id);
  } finally {
    await relay.stop();
  }
});

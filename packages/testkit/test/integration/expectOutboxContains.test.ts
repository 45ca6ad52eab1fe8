import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createOutbox, defineEvent, migrate } from '@trackops/outbox';
import {
  createTestDatabase,
  expectOutboxContains,
  stackEndpoints,
  type OutboxRow,
  type TestDatabase,
} from '@trackops/testkit';

const OrderCreated = defineEvent({
  type: 'ORDER_CREATED',
  aggregateType: 'order',
  payload: z.object({ orderId: z.string(), total: z.string() }),
});

describe('expectOutboxContains', () => {
  let db: TestDatabase;
  const outbox = createOutbox({ table: 'events' });

  beforeAll(async () => {
    db = await createTestDatabase(stackEndpoints().DATABASE_URL, 'testkit_outbox');
    await migrate(db.pool, { table: 'events' });
    await outbox.enqueue(db.pool, [
      OrderCreated.create({
        aggregateId: 'o-1',
        payload: { orderId: 'o-1', total: '12.50' },
        correlationId: 'req-1',
      }),
      {
        aggregateType: 'order',
        aggregateId: 'o-2',
        type: 'ORDER_CANCELLED',
        payload: { orderId: 'o-2' },
      },
    ]);
  });
  afterAll(() => db.drop());

  it('finds a row by type and aggregate, its payload typed by the schema', async () => {
    const row = await expectOutboxContains(db.pool, {
      table: { table: 'events' },
      match: {
        type: 'ORDER_CREATED',
        aggregateId: 'o-1',
        aggregateType: 'order',
        payload: OrderCreated.payloadSchema,
      },
    });

    expectTypeOf(row).toEqualTypeOf<OutboxRow<{ orderId: string; total: string }>>();
    expect(row).toMatchObject({
      aggregateType: 'order',
      aggregateId: 'o-1',
      type: 'ORDER_CREATED',
      payload: { orderId: 'o-1', total: '12.50' },
      correlationId: 'req-1',
      publishedAt: null,
    });
    expect(row.createdAt).toBeInstanceOf(Date);
  });

  it('matches a partial payload', async () => {
    const row = await expectOutboxContains(db.pool, {
      table: { table: 'events' },
      match: { payload: { orderId: 'o-2' } },
    });

    expect(row.type).toBe('ORDER_CANCELLED');
  });

  it('fails listing every row and why it differs', async () => {
    const failure = expectOutboxContains(db.pool, {
      table: { table: 'events' },
      match: { aggregateType: 'order', payload: { total: '99.00' } },
    });

    await expect(failure).rejects.toMatchObject({ code: 'TESTKIT_EXPECTATION_FAILED' });
    const message = await failure.catch((error: Error) => error.message);
    expect(message).toContain(
      'expectOutboxContains: no row of public.events matched {"aggregateType":"order","payload":{"total":"99.00"}}; 2 row(s) seen, none matched:',
    );
    expect(message).toMatch(
      /seq \d+ ORDER_CREATED order\/o-1: payload\.total: expected '99\.00', got '12\.50'/,
    );
    expect(message).toMatch(
      /seq \d+ ORDER_CANCELLED order\/o-2: payload\.total: expected '99\.00', got undefined/,
    );
  });

  it('summarises the schema issues of a payload that does not pass', async () => {
    await expect(
      expectOutboxContains(db.pool, {
        table: { table: 'events' },
        match: { type: 'ORDER_CANCELLED', payload: OrderCreated.payloadSchema },
      }),
    ).rejects.toThrow(
      /order\/o-2: payload schema: total: Invalid input: expected string, received undefined/,
    );
    await expect(
      expectOutboxContains(db.pool, { table: { table: 'events' }, match: { type: 'ORDER_PAID' } }),
    ).rejects.toThrow(/ORDER_CREATED order\/o-1: type is "ORDER_CREATED", not "ORDER_PAID"/);
  });

  it('waits up to `within` for an event written later', async () => {
    const later = setTimeout(() => {
      void outbox.enqueue(db.pool, {
        aggregateType: 'order',
        aggregateId: 'o-3',
        type: 'ORDER_CONFIRMED',
        payload: { orderId: 'o-3' },
      });
    }, 300);
    try {
      const row = await expectOutboxContains(db.pool, {
        table: { table: 'events' },
        match: { type: 'ORDER_CONFIRMED', aggregateId: 'o-3' },
        within: 5_000,
      });
      expect(row.payload).toEqual({ orderId: 'o-3' });
    } finally {
      clearTimeout(later);
    }
  });

  it('gives up after `within` and says how long it looked', async () => {
    const started = Date.now();

    await expect(
      expectOutboxContains(db.pool, {
        table: { table: 'events' },
        match: { type: 'ORDER_SHIPPED' },
        within: 500,
      }),
    ).rejects.toThrow(/matched \{"type":"ORDER_SHIPPED"\} within 500 ms; \d row\(s\) seen/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('rejects bad options at once, naming the option', async () => {
    await expect(
      expectOutboxContains(db.pool, { match: { type: 7 as unknown as string }, within: -5 }),
    ).rejects.toThrow(/invalid expectOutboxContains options: match\.type: .*; within: /);
    await expect(
      expectOutboxContains(db.pool, { table: { table: 'no"table' }, match: {} }),
    ).rejects.toThrow(/table/);
  });
});

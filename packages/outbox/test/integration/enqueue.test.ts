import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, stackEndpoints, type TestDatabase } from '@trackops/testkit';
import { createOutbox, defineEvent, migrate, OutboxError } from '@trackops/outbox';

const OrderCreated = defineEvent({
  type: 'ORDER_CREATED',
  aggregateType: 'order',
  payload: z.object({
    orderId: z.string(),
    items: z.array(z.object({ sku: z.string(), quantity: z.int().positive() })),
  }),
});

describe('enqueue', () => {
  let db: TestDatabase;
  const outbox = createOutbox({ table: 'events' });
  beforeAll(async () => {
    db = await createTestDatabase(stackEndpoints().DATABASE_URL, 'outbox_enqueue');
    await migrate(db.pool, { table: 'events' });
  });
  afterAll(() => db.drop());

  const rows = async () =>
    (
      await db.pool.query<Record<string, unknown>>(
        'select id::text, aggregatetype, aggregateid, type, payload, correlation_id, traceparent from events order by seq',
      )
    ).rows;

  it('writes typed events in the caller transaction, with UUIDv7 ids and trace headers', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      const ids = await outbox.enqueue(client, [
        OrderCreated.create({
          aggregateId: 'o-1',
          payload: { orderId: 'o-1', items: [{ sku: 'A', quantity: 2 }] },
          correlationId: 'req-1',
        }),
        {
          aggregateType: 'order',
          aggregateId: 'o-1',
          type: 'ORDER_CONFIRMED',
          payload: { orderId: 'o-1' },
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        },
      ]);
      expect(await rows()).toHaveLength(0); // not visible before commit
      await client.query('commit');

      expect(ids).toHaveLength(2);
      for (const id of ids)
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(await rows()).toEqual([
        {
          id: ids[0],
          aggregatetype: 'order',
          aggregateid: 'o-1',
          type: 'ORDER_CREATED',
          payload: { orderId: 'o-1', items: [{ sku: 'A', quantity: 2 }] },
          correlation_id: 'req-1',
          traceparent: null,
        },
        {
          id: ids[1],
          aggregatetype: 'order',
          aggregateid: 'o-1',
          type: 'ORDER_CONFIRMED',
          payload: { orderId: 'o-1' },
          correlation_id: null,
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        },
      ]);
    } finally {
      client.release();
    }
  });

  it('writes nothing of a rolled-back transaction', async () => {
    const before = (await rows()).length;
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      await outbox.enqueue(client, {
        aggregateType: 'order',
        aggregateId: 'o-2',
        type: 'ORDER_CREATED',
        payload: {},
      });
      await client.query('rollback');
    } finally {
      client.release();
    }
    expect(await rows()).toHaveLength(before);
  });

  it('rejects a bad event naming the field, and writes none of the batch', async () => {
    const before = (await rows()).length;
    await expect(
      outbox.enqueue(db.pool, [
        { aggregateType: 'order', aggregateId: 'o-3', type: 'ORDER_CREATED', payload: {} },
        { aggregateType: 'order', aggregateId: '', type: 'ORDER_CREATED', payload: {} },
      ]),
    ).rejects.toThrow(/invalid outbox event \[1\]: aggregateId: /);
    await expect(
      outbox.enqueue(db.pool, {
        aggregateType: 'order',
        aggregateId: 'o-3',
        type: 'X',
        payload: undefined,
      }),
    ).rejects.toThrow(/payload: must be JSON-serialisable/);
    await expect(
      outbox.enqueue(db.pool, {
        aggregateType: 'order',
        aggregateId: 'o-3',
        type: 'X',
        payload: {},
        traceparent: 'nope',
      }),
    ).rejects.toThrow(/traceparent: must be a W3C traceparent/);
    await expect(
      outbox.enqueue(db.pool, {
        aggregateType: 'order',
        aggregateId: 'o-3',
        type: 'X',
        payload: {},
        headers: { type: 'OTHER' },
      }),
    ).rejects.toThrow(/headers\.type: .*is set by the relay/);
    expect(() =>
      OrderCreated.create({
        aggregateId: 'o-4',
        payload: { orderId: 'o-4', items: [{ sku: 'A', quantity: 0 }] },
      }),
    ).toThrow(OutboxError);
    expect(() =>
      OrderCreated.create({
        aggregateId: 'o-4',
        payload: { orderId: 'o-4', items: [{ sku: 'A', quantity: 0 }] },
      }),
    ).toThrow(/payload\.items\.0\.quantity/);
    expect(await rows()).toHaveLength(before);
  });

  it('parses received payloads with the same definition', () => {
    expect(OrderCreated.parse({ orderId: 'o-5', items: [] })).toEqual({
      orderId: 'o-5',
      items: [],
    });
    expect(() => OrderCreated.parse({ orderId: 5 })).toThrow(/payload\.orderId/);
  });
});

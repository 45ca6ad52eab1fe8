/**
 * The order flow against the real stack: placing an order runs its saga through the fake
 * inventory and the in-process payment participant; failures end the order CANCELLED with the
 * reason; cancelling undoes what was done; an Idempotency-Key names one order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order } from '../../src/order-service/model.js';
import { eventually, slowReservationMs, startDeployment, type Deployment } from './deployment.js';

let deployment: Deployment;

beforeAll(async () => {
  deployment = await startDeployment({ captureLogs: true, connector: true });
});

afterAll(async () => {
  await deployment?.stop();
});

function place(
  customerId: string,
  items: Array<{ sku: string; quantity: number; unitPrice: string }>,
  headers: Record<string, string> = {},
) {
  return deployment.call<Order>('POST', '/api/orders', {
    token: deployment.tokens.customer,
    body: { customerId, items },
    headers,
  });
}

async function settled(id: string, timeoutMs = 30_000): Promise<Order> {
  return (
    await eventually(
      () => deployment.call<Order>('GET', `/api/orders/${id}`),
      (response) => response.status === 200 && response.body.status !== 'PENDING',
      timeoutMs,
    )
  ).body;
}

async function saga(id: string) {
  return (
    await deployment.call<{ status: string; error: string | null; steps: unknown[] }>(
      'GET',
      `/api/sagas/${id}`,
    )
  ).body;
}

async function outboxEvents(orderId: string) {
  const { rows } = await deployment.db.pool.query<{
    type: string;
    payload: Record<string, unknown>;
    correlation_id: string | null;
  }>('select type, payload, correlation_id from outbox where aggregateid = $1 order by seq', [
    orderId,
  ]);
  return rows;
}

describe('order-service: the order saga', () => {
  it('confirms an order: inventory reserved, payment captured, ORDER_CREATED written', async () => {
    const placed = await place(
      'alice',
      [
        { sku: 'WIDGET-1', quantity: 2, unitPrice: '9.9' },
        { sku: 'GADGET-1', quantity: 1, unitPrice: '24.50' },
      ],
      { 'x-correlation-id': 'order-flow-confirm' },
    );
    expect(placed.status).toBe(201);
    expect(placed.headers.get('x-correlation-id')).toBe('order-flow-confirm');
    expect(placed.body).toMatchObject({
      customerId: 'alice',
      status: 'PENDING',
      totalAmount: '44.30',
      shippingAddress: null,
      cancellationReason: null,
      items: [
        { sku: 'WIDGET-1', quantity: 2, unitPrice: '9.90' },
        { sku: 'GADGET-1', quantity: 1, unitPrice: '24.50' },
      ],
    });

    const order = await settled(placed.body.id);
    expect(order.status).toBe('CONFIRMED');
    expect(deployment.reservations.get(order.id)?.released).toBe(false);
    const { rows: payments } = await deployment.db.pool.query(
      'select amount::text as amount, status from payment.payments where order_id = $1',
      [order.id],
    );
    expect(payments).toEqual([{ amount: '44.30', status: 'CAPTURED' }]);

    const events = await outboxEvents(order.id);
    expect(events).toEqual([
      {
        type: 'ORDER_CREATED',
        correlation_id: 'order-flow-confirm',
        payload: {
          orderId: order.id,
          customerId: 'alice',
          totalAmount: '44.30',
          items: [
            { sku: 'WIDGET-1', quantity: 2, unitPrice: '9.90' },
            { sku: 'GADGET-1', quantity: 1, unitPrice: '24.50' },
          ],
        },
      },
    ]);

    const completed = await saga(order.sagaId);
    expect(completed.status).toBe('COMPLETED');
    const items = await deployment.call('GET', `/api/orders/${order.id}/items`);
    expect(items).toMatchObject({ status: 200, body: order.items });

    // The correlation id reaches the request logs and the saga's logs.
    const correlated = deployment.logs.filter(
      (line) => line['correlationId'] === 'order-flow-confirm',
    );
    expect(correlated.map((line) => line['msg'])).toEqual(
      expect.arrayContaining(['incoming request', 'saga started']),
    );
  });

  it('cancels an order short of stock, with the reason, and writes ORDER_CANCELLED', async () => {
    deployment.stock.set('SCARCE-1', 2);
    const placed = await place('bob', [{ sku: 'SCARCE-1', quantity: 5, unitPrice: '1.00' }]);
    expect(placed.status).toBe(201);
    const order = await settled(placed.body.id);
    expect(order).toMatchObject({
      status: 'CANCELLED',
      cancellationReason: 'reserve-inventory: insufficient stock of SCARCE-1',
    });
    expect((await saga(order.sagaId)).status).toBe('COMPENSATED');
    expect((await outboxEvents(order.id)).map((event) => event.type)).toEqual([
      'ORDER_CREATED',
      'ORDER_CANCELLED',
    ]);
    expect((await outboxEvents(order.id))[1]?.payload).toEqual({
      orderId: order.id,
      reason: 'reserve-inventory: insufficient stock of SCARCE-1',
    });
    expect(deployment.stock.get('SCARCE-1')).toBe(2);
  });

  it('cancels an order whose card is declined, releasing its reservation', async () => {
    const placed = await place('declined-carol', [
      { sku: 'WIDGET-2', quantity: 3, unitPrice: '2.00' },
    ]);
    const order = await settled(placed.body.id);
    expect(order).toMatchObject({
      status: 'CANCELLED',
      cancellationReason: 'process-payment: card declined',
    });
    await eventually(
      () => saga(order.sagaId),
      (state) => state.status === 'COMPENSATED',
    );
    expect(deployment.reservations.get(order.id)?.released).toBe(true);
    expect(deployment.stock.get('WIDGET-2')).toBe(100);
  });

  it('cancels a PENDING order: aborts its saga, which releases the reservation', async () => {
    const placed = await place('dave', [{ sku: 'SLOW-1', quantity: 1, unitPrice: '5.00' }]);
    expect(placed.status).toBe(201);
    const cancelled = await deployment.call<Order>(
      'DELETE',
      `/api/orders/${placed.body.id}?reason=changed%20my%20mind`,
      { token: deployment.tokens.customer },
    );
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({
      status: 'CANCELLED',
      cancellationReason: 'changed my mind',
    });
    const final = await eventually(
      () => saga(placed.body.sagaId),
      (state) => state.status === 'COMPENSATED',
      slowReservationMs + 20_000,
    );
    expect(final.error).toBe('aborted: changed my mind');
    expect(deployment.reservations.get(placed.body.id)?.released).toBe(true);
    expect((await outboxEvents(placed.body.id)).map((event) => event.type)).toEqual([
      'ORDER_CREATED',
      'ORDER_CANCELLED',
    ]);
    // It stays cancelled, and cancelling again is a conflict.
    expect((await deployment.call<Order>('GET', `/api/orders/${placed.body.id}`)).body.status).toBe(
      'CANCELLED',
    );
    const again = await deployment.call('DELETE', `/api/orders/${placed.body.id}`, {
      token: deployment.tokens.customer,
    });
    expect(again.status).toBe(409);
  });

  it('cancels a CONFIRMED order: a cancel-order saga releases inventory and refunds', async () => {
    const placed = await place('erin', [{ sku: 'WIDGET-3', quantity: 4, unitPrice: '3.00' }]);
    const order = await settled(placed.body.id);
    expect(order.status).toBe('CONFIRMED');
    expect(deployment.stock.get('WIDGET-3')).toBe(96);

    const cancelled = await deployment.call<Order>('DELETE', `/api/orders/${order.id}`, {
      token: deployment.tokens.admin,
    });
    expect(cancelled).toMatchObject({
      status: 200,
      body: { status: 'CANCELLED', cancellationReason: 'cancelled on request' },
    });
    await eventually(
      async () =>
        (
          await deployment.db.pool.query<{ status: string }>(
            'select status from payment.payments where order_id = $1',
            [order.id],
          )
        ).rows[0]?.status,
      (status) => status === 'REFUNDED',
    );
    expect(deployment.reservations.get(order.id)?.released).toBe(true);
    expect(deployment.stock.get('WIDGET-3')).toBe(100);
    const { rows } = await deployment.db.pool.query<{ cancel_saga_id: string }>(
      'select cancel_saga_id::text as cancel_saga_id from orders where id = $1',
      [order.id],
    );
    const cancelSaga = await eventually(
      () => saga(rows[0]!.cancel_saga_id),
      (state) => state.status === 'COMPLETED',
    );
    expect(cancelSaga.status).toBe('COMPLETED');
  });

  it('ships and delivers a confirmed order (admin only), and refuses other moves', async () => {
    const placed = await place('frank', [{ sku: 'WIDGET-4', quantity: 1, unitPrice: '1.00' }]);
    const order = await settled(placed.body.id);
    const path = `/api/orders/${order.id}/status`;
    const asCustomer = await deployment.call('PUT', path, {
      token: deployment.tokens.customer,
      body: { status: 'SHIPPED' },
    });
    expect(asCustomer.status).toBe(403);
    const skip = await deployment.call('PUT', path, {
      token: deployment.tokens.admin,
      body: { status: 'DELIVERED' },
    });
    expect(skip.status).toBe(409);
    const shipped = await deployment.call<Order>('PUT', path, {
      token: deployment.tokens.admin,
      body: { status: 'SHIPPED', reason: 'handed to the carrier' },
    });
    expect(shipped).toMatchObject({ status: 200, body: { status: 'SHIPPED' } });
    // Read your write: the cached order shows the new status at once.
    expect((await deployment.call<Order>('GET', `/api/orders/${order.id}`)).body.status).toBe(
      'SHIPPED',
    );
    const delivered = await deployment.call<Order>('PUT', path, {
      token: deployment.tokens.admin,
      body: { status: 'DELIVERED' },
    });
    expect(delivered.body.status).toBe('DELIVERED');
    const cancel = await deployment.call('DELETE', `/api/orders/${order.id}`, {
      token: deployment.tokens.customer,
    });
    expect(cancel.status).toBe(409);
  });
});

describe('order-service: Idempotency-Key', () => {
  it('answers the same order for the same key and body, and 422 for another body', async () => {
    const key = `key-${Date.now()}`;
    const items = [{ sku: 'WIDGET-5', quantity: 1, unitPrice: '7.00' }];
    const first = await place('grace', items, { 'idempotency-key': key });
    const second = await place('grace', items, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    const other = await place('grace', [{ ...items[0]!, quantity: 2 }], {
      'idempotency-key': key,
    });
    expect(other.status).toBe(422);
    const { rows } = await deployment.db.pool.query(
      'select count(*)::int as orders from orders where customer_id = $1',
      ['grace'],
    );
    expect(rows).toEqual([{ orders: 1 }]);
  });

  it('places one order when the same key arrives concurrently', async () => {
    const key = `race-${Date.now()}`;
    const items = [{ sku: 'WIDGET-6', quantity: 1, unitPrice: '7.00' }];
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => place('heidi', items, { 'idempotency-key': key })),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(responses.map((response) => response.body.id)).size).toBe(1);
    const { rows } = await deployment.db.pool.query(
      'select count(*)::int as orders from orders where customer_id = $1',
      ['heidi'],
    );
    expect(rows).toEqual([{ orders: 1 }]);
  });
});

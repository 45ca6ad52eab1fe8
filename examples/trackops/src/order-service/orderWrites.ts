/**
 * The order-service's writes: place an order (idempotently), change its status, cancel it.
 * Each is one transaction holding the business change, its outbox event and the saga that
 * follows from it.
 */
import { withTransaction, type Logger } from '@trackops/core';
import { createOutbox } from '@trackops/outbox';
import { getSaga, SagaError, type SagaRuntime } from '@trackops/saga';
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { OrderCancelled, OrderCreated } from '../shared/contracts.js';
import {
  formatCents,
  normalizeAmount,
  totalCents,
  type CreateOrderBody,
  type Order,
} from './model.js';
import type { OrderCaches } from './orderCaches.js';
import {
  claimIdempotencyKey,
  findOrder,
  insertOrder,
  lockOrder,
  transition,
} from './repository.js';
import { cancelPendingOrder, type OrderSagas } from './sagas.js';

/** An error the HTTP layer answers with `statusCode` (see shared/http.ts). */
export class HttpProblem extends Error {
  constructor(
    readonly statusCode: 404 | 409 | 422,
    message: string,
  ) {
    super(message);
    this.name = { 404: 'Not Found', 409: 'Conflict', 422: 'Unprocessable Entity' }[statusCode];
  }
}

export interface OrderWriteDeps {
  pool: pg.Pool;
  runtime: SagaRuntime;
  sagas: OrderSagas;
  caches: OrderCaches;
  logger: Logger;
}

const outbox = createOutbox();

function notFound(id: string): HttpProblem {
  return new HttpProblem(404, `no order with id ${id}`);
}

/**
 * The order's cache entries after a write by this service, so the writer reads its own write
 * at once; the change stream would do the same moments later. Best effort: Redis down must not
 * fail a write that committed.
 */
async function forget(deps: OrderWriteDeps, order: Order): Promise<void> {
  try {
    await deps.caches.orders.invalidate(order.id);
    await deps.caches.pages.invalidateTags([
      'all',
      `customer:${encodeURIComponent(order.customerId)}`,
    ]);
  } catch (error) {
    deps.logger.warn({ err: error, orderId: order.id }, 'order cache not invalidated after write');
  }
}

async function reread(deps: OrderWriteDeps, id: string): Promise<Order> {
  const order = await findOrder(deps.pool, id);
  if (order === undefined) throw notFound(id);
  await forget(deps, order);
  return order;
}

/**
 * Places an order: the order, its items, ORDER_CREATED and the order saga in one transaction.
 * With an idempotency key, the key is claimed in the same transaction; the same key again
 * answers the order it names (`created: false`), or 422 when the body differs.
 */
export async function placeOrder(
  deps: OrderWriteDeps,
  body: CreateOrderBody,
  options: { idempotencyKey: string | undefined; correlationId: string },
): Promise<{ created: boolean; order: Order }> {
  const orderId = uuidv7();
  const sagaId = uuidv7();
  const totalAmount = formatCents(totalCents(body.items));
  const items = body.items.map((item) => ({
    sku: item.sku,
    quantity: item.quantity,
    unitPrice: normalizeAmount(item.unitPrice),
  }));
  const { correlationId, idempotencyKey } = options;
  // The request as validated and normalized ("9.9" is "9.90"): the same order hashes the same.
  const requestHash = createHash('sha256')
    .update(
      JSON.stringify({
        customerId: body.customerId,
        items,
        shippingAddress: body.shippingAddress ?? null,
      }),
    )
    .digest('hex');
  const outcome = await withTransaction(deps.pool, async (tx) => {
    const order = await insertOrder(tx, {
      id: orderId,
      customerId: body.customerId,
      totalAmount,
      shippingAddress: body.shippingAddress ?? null,
      sagaId,
      items,
    });
    if (idempotencyKey !== undefined) {
      const claim = await claimIdempotencyKey(tx, idempotencyKey, requestHash, orderId);
      if (!claim.claimed) {
        // Thrown to roll the new order back; answered below.
        throw new IdempotentReplay(claim.orderId, claim.requestHash === requestHash);
      }
    }
    await outbox.enqueue(
      tx,
      OrderCreated.create({
        aggregateId: orderId,
        payload: { orderId, customerId: body.customerId, totalAmount, items },
        correlationId,
      }),
    );
    await deps.runtime.begin(
      tx,
      deps.sagas.order,
      {
        orderId,
        sagaId,
        customerId: body.customerId,
        totalAmount,
        items: items.map(({ sku, quantity }) => ({ sku, quantity })),
      },
      { id: sagaId, correlationId },
    );
    return order;
  }).catch((error: unknown) => {
    if (error instanceof IdempotentReplay) return error;
    throw error;
  });
  if (!(outcome instanceof IdempotentReplay)) {
    deps.logger.info({ orderId, sagaId, correlationId }, 'order placed');
    return { created: true, order: outcome };
  }
  if (!outcome.sameRequest) {
    throw new HttpProblem(
      422,
      `Idempotency-Key ${idempotencyKey} was used for a different request (order ${outcome.orderId})`,
    );
  }
  const existing = await findOrder(deps.pool, outcome.orderId);
  if (existing === undefined) throw notFound(outcome.orderId);
  return { created: false, order: existing };
}

class IdempotentReplay extends Error {
  constructor(
    readonly orderId: string,
    readonly sameRequest: boolean,
  ) {
    super('idempotent replay');
  }
}

const nextStatus = { CONFIRMED: 'SHIPPED', SHIPPED: 'DELIVERED' } as const;

/** CONFIRMED → SHIPPED → DELIVERED, one step at a time; anything else is 409. */
export async function changeStatus(
  deps: OrderWriteDeps,
  id: string,
  to: 'SHIPPED' | 'DELIVERED',
  context: { reason: string | undefined; correlationId: string },
): Promise<Order> {
  await withTransaction(deps.pool, async (tx) => {
    const order = await lockOrder(tx, id);
    if (order === undefined) throw notFound(id);
    const from = order.status;
    if ((from !== 'CONFIRMED' && from !== 'SHIPPED') || nextStatus[from] !== to) {
      throw new HttpProblem(409, `order ${id} is ${order.status}; it cannot become ${to}`);
    }
    await transition(tx, id, [order.status], to);
    deps.logger.info(
      {
        orderId: id,
        from: order.status,
        to,
        reason: context.reason,
        correlationId: context.correlationId,
      },
      'order status changed',
    );
  });
  return reread(deps, id);
}

/**
 * Cancels an order. PENDING: its saga is aborted (compensating what it did: the reservation
 * is released, a payment refunded) and the order is CANCELLED at once. CONFIRMED: the order is
 * CANCELLED and a `cancel-order` saga (release inventory, refund payment) begun in the same
 * transaction. SHIPPED, DELIVERED or CANCELLED: 409.
 */
export async function cancelOrder(
  deps: OrderWriteDeps,
  id: string,
  context: { reason: string; correlationId: string },
): Promise<Order> {
  const { reason, correlationId } = context;
  // The saga moves the order concurrently (PENDING → CONFIRMED): look again when it did.
  for (let attempt = 0; attempt < 3; attempt++) {
    const order = await findOrder(deps.pool, id);
    if (order === undefined) throw notFound(id);
    switch (order.status) {
      case 'PENDING': {
        try {
          await deps.runtime.abort(order.sagaId, reason);
        } catch (error) {
          if (!(error instanceof SagaError) || error.code !== 'SAGA_INVALID_STATE') throw error;
          const saga = await getSaga(deps.pool, order.sagaId);
          // Finished meanwhile: the order is CONFIRMED or CANCELLED now; look again.
          if (['COMPLETED', 'COMPENSATED', 'ABORTED'].includes(saga.status)) continue;
          throw new HttpProblem(
            409,
            `order ${id} is already being cancelled by its saga (${saga.error ?? saga.status})`,
          );
        }
        // The saga compensates on its own now; its last compensation finds the order
        // CANCELLED already and leaves it (and ORDER_CANCELLED is written once, here).
        await withTransaction(deps.pool, (tx) => cancelPendingOrder(tx, id, reason, correlationId));
        deps.logger.info({ orderId: id, sagaId: order.sagaId, correlationId }, 'order cancelled');
        return reread(deps, id);
      }
      case 'CONFIRMED': {
        const cancelled = await withTransaction(deps.pool, async (tx) => {
          const locked = await lockOrder(tx, id);
          if (locked?.status !== 'CONFIRMED') return undefined;
          const cancelSagaId = uuidv7();
          await transition(tx, id, ['CONFIRMED'], 'CANCELLED', {
            cancellationReason: reason,
            cancelSagaId,
          });
          await outbox.enqueue(
            tx,
            OrderCancelled.create({
              aggregateId: id,
              payload: { orderId: id, reason },
              correlationId,
            }),
          );
          await deps.runtime.begin(
            tx,
            deps.sagas.cancel,
            { orderId: id, paymentId: locked.paymentId ?? undefined, reason },
            { id: cancelSagaId, correlationId },
          );
          return cancelSagaId;
        });
        if (cancelled === undefined) continue;
        deps.logger.info(
          { orderId: id, cancelSagaId: cancelled, correlationId },
          'confirmed order cancelled',
        );
        return reread(deps, id);
      }
      case 'SHIPPED':
      case 'DELIVERED':
      case 'CANCELLED':
        throw new HttpProblem(409, `order ${id} is ${order.status}; it cannot be cancelled`);
    }
  }
  throw new HttpProblem(409, `order ${id} changed while it was being cancelled; try again`);
}

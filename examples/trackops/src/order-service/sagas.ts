/**
 * The order-service's two sagas.
 *
 * `order` places an order: open-order (local) → reserve-inventory → process-payment →
 * confirm-order (local). Any failure compensates in reverse order; open-order's compensation
 * runs last and ends the order CANCELLED with the reason, writing ORDER_CANCELLED.
 *
 * `cancel-order` undoes a CONFIRMED order that a customer cancels: release-inventory, then
 * refund-payment. It is begun in the transaction that marks the order CANCELLED, so the
 * cancellation and the commands that undo it commit together.
 */
import { type Queryable } from '@trackops/core';
import { createOutbox } from '@trackops/outbox';
import { defineSaga, getSaga, type SagaDefinition } from '@trackops/saga';
import { z } from 'zod';
import { money, OrderCancelled, sku } from '../shared/contracts.js';
import { transition } from './repository.js';
import type { OrderCommands } from './topics.js';

/** The order saga's data. */
export const orderSagaData = z.object({
  orderId: z.uuid(),
  /** The saga's own id, so local steps can read its state (failure reason, correlation id). */
  sagaId: z.uuid(),
  customerId: z.string(),
  totalAmount: money,
  items: z.array(z.object({ sku, quantity: z.int().min(1) })).min(1),
  reservationId: z.uuid().optional(),
  paymentId: z.uuid().optional(),
  /** `<step>: <reason>` of a failure reply (the saga's `error` is not yet stored then). */
  failure: z.string().optional(),
});
export type OrderSagaData = z.output<typeof orderSagaData>;

/** The cancel saga's data. */
export const cancelSagaData = z.object({
  orderId: z.uuid(),
  paymentId: z.uuid().optional(),
  reason: z.string(),
});
export type CancelSagaData = z.output<typeof cancelSagaData>;

/**
 * Step timing: a participant has 10 s to reply; a silent one is asked 6 times, so an order
 * survives a participant that is down for about a minute — a crash, a restart and Kafka
 * noticing that the old consumer is gone (its session timeout, 30 s) — before the saga gives up
 * and compensates.
 */
const timing = { timeoutMs: 10_000, retry: { attempts: 6, initialMs: 500, maxMs: 5_000 } };

const outbox = createOutbox();

/**
 * Ends a PENDING order CANCELLED and writes ORDER_CANCELLED, in `tx`. Whoever flips the status
 * writes the event (the compensation or the cancel request), so it is written once.
 */
export async function cancelPendingOrder(
  tx: Queryable,
  orderId: string,
  reason: string,
  correlationId: string | undefined,
): Promise<boolean> {
  const cancelled = await transition(tx, orderId, ['PENDING'], 'CANCELLED', {
    cancellationReason: reason,
  });
  if (cancelled === undefined) return false;
  await outbox.enqueue(
    tx,
    OrderCancelled.create({ aggregateId: orderId, payload: { orderId, reason }, correlationId }),
  );
  return true;
}

/** The sagas of one deployment (their commands carry the deployment's topics). */
export interface OrderSagas {
  order: SagaDefinition<OrderSagaData>;
  cancel: SagaDefinition<CancelSagaData>;
}

export function defineOrderSagas(commands: OrderCommands): OrderSagas {
  const order = defineSaga({ name: 'order', data: orderSagaData })
    .step('open-order', {
      // The order row was written with the saga, in the request's transaction: nothing to do
      // forward. Backward, this is the step that ends the order, after everything else was undone.
      local: () => Promise.resolve(),
      compensation: {
        local: async (tx, data) => {
          // The saga's stored error covers timeouts and aborts; a failure reply that leads
          // straight here is only in the data (the error is stored with this transition).
          const saga = await getSaga(tx, data.sagaId);
          const reason = data.failure ?? saga.error ?? 'order saga compensated';
          await cancelPendingOrder(tx, data.orderId, reason, saga.correlationId ?? undefined);
        },
      },
    })
    .step('reserve-inventory', {
      ...timing,
      command: commands.reserveInventory,
      payload: (data) => ({ orderId: data.orderId, items: data.items }),
      onReply: (data, reply) => ({ ...data, reservationId: reply.reservationId }),
      onFailure: (data, reason) => ({ ...data, failure: `reserve-inventory: ${reason}` }),
      compensation: {
        command: commands.releaseInventory,
        payload: (data) => ({ orderId: data.orderId, reason: data.failure ?? 'order cancelled' }),
      },
    })
    .step('process-payment', {
      ...timing,
      command: commands.processPayment,
      payload: (data) => ({
        orderId: data.orderId,
        customerId: data.customerId,
        amount: data.totalAmount,
      }),
      onReply: (data, reply) => ({ ...data, paymentId: reply.paymentId }),
      onFailure: (data, reason) => ({ ...data, failure: `process-payment: ${reason}` }),
      compensation: {
        command: commands.refundPayment,
        payload: (data) => ({ orderId: data.orderId, paymentId: data.paymentId }),
      },
    })
    .step('confirm-order', {
      ...timing,
      local: async (tx, data) => {
        const confirmed = await transition(tx, data.orderId, ['PENDING'], 'CONFIRMED', {
          reservationId: data.reservationId ?? null,
          paymentId: data.paymentId ?? null,
        });
        // Thrown, the step is retried and then compensated: inventory and payment are undone.
        if (confirmed === undefined) throw new Error(`order ${data.orderId} is not PENDING`);
      },
    })
    .build();

  // Undoing a confirmed order has nothing to compensate: each step is retried on timeout, and
  // a step that still fails leaves the saga COMPENSATED with its error (GET /api/sagas/{id}).
  const cancelTiming = { timeoutMs: 10_000, retry: { attempts: 5, initialMs: 500, maxMs: 10_000 } };
  const cancel = defineSaga({ name: 'cancel-order', data: cancelSagaData })
    .step('release-inventory', {
      ...cancelTiming,
      command: commands.releaseInventory,
      payload: (data) => ({ orderId: data.orderId, reason: data.reason }),
    })
    .step('refund-payment', {
      ...cancelTiming,
      command: commands.refundPayment,
      payload: (data) => ({ orderId: data.orderId, paymentId: data.paymentId }),
    })
    .build();

  return { order, cancel };
}

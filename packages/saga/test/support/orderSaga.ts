import type { Queryable } from '@trackops/core';
import { defineCommand, defineSaga, type StepRetry } from '@trackops/saga';
import { z } from 'zod';

/** The commands of the test order saga, on topics under `prefix`. */
export function orderCommands(prefix: string) {
  const item = z.object({ sku: z.string(), quantity: z.int().min(1) });
  return {
    reserve: defineCommand({
      type: 'RESERVE_INVENTORY',
      topic: `${prefix}.inventory`,
      payload: z.object({ orderId: z.string(), items: z.array(item) }),
      reply: z.object({ reservationId: z.string() }),
    }),
    release: defineCommand({
      type: 'RELEASE_INVENTORY',
      topic: `${prefix}.inventory`,
      payload: z.object({ orderId: z.string() }),
      reply: z.object({}),
    }),
    pay: defineCommand({
      type: 'PROCESS_PAYMENT',
      topic: `${prefix}.payment`,
      payload: z.object({ orderId: z.string(), amount: z.string() }),
      reply: z.object({ paymentId: z.string() }),
    }),
    refund: defineCommand({
      type: 'REFUND_PAYMENT',
      topic: `${prefix}.payment`,
      payload: z.object({ orderId: z.string(), paymentId: z.string() }),
      reply: z.object({}),
    }),
  };
}

export const orderData = z.object({
  orderId: z.string(),
  items: z.array(z.object({ sku: z.string(), quantity: z.int().min(1) })),
  amount: z.string(),
  reservationId: z.string().optional(),
  paymentId: z.string().optional(),
  failure: z.string().optional(),
});
export type OrderData = z.output<typeof orderData>;

/**
 * reserve inventory (command) → process payment (command) → confirm order (local), with
 * compensations release / refund / a local "unconfirm". `confirm` is what the local steps do
 * with their transaction.
 */
export function orderSaga(
  prefix: string,
  options: {
    timeoutMs?: number;
    retry?: Partial<StepRetry>;
    confirm?: (tx: Queryable, data: OrderData) => Promise<void>;
    unconfirm?: (tx: Queryable, data: OrderData) => Promise<void>;
  } = {},
) {
  const commands = orderCommands(prefix);
  const common = { timeoutMs: options.timeoutMs, retry: options.retry };
  const saga = defineSaga({ name: 'order', data: orderData })
    .step('reserve-inventory', {
      ...common,
      command: commands.reserve,
      payload: (data) => ({ orderId: data.orderId, items: data.items }),
      onReply: (data, reply) => ({ ...data, reservationId: reply.reservationId }),
      onFailure: (data, reason) => ({ ...data, failure: reason }),
      compensation: { command: commands.release, payload: (data) => ({ orderId: data.orderId }) },
    })
    .step('process-payment', {
      ...common,
      command: commands.pay,
      payload: (data) => ({ orderId: data.orderId, amount: data.amount }),
      onReply: (data, reply) => ({ ...data, paymentId: reply.paymentId }),
      onFailure: (data, reason) => ({ ...data, failure: reason }),
      compensation: {
        command: commands.refund,
        payload: (data) => ({ orderId: data.orderId, paymentId: data.paymentId ?? 'none' }),
      },
    })
    .step('confirm-order', {
      ...common,
      local: async (tx, data) => {
        await options.confirm?.(tx, data);
      },
      compensation: {
        local: async (tx, data) => {
          await options.unconfirm?.(tx, data);
        },
      },
    })
    .build();
  return { saga, commands };
}

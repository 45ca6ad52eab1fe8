/**
 * The order saga's local steps on the test world's tables, shared by the in-process world and
 * the orchestrator child process (which must not import vitest).
 */
import type { Queryable } from '@trackops/core';
import type { OrderData } from './orderSaga.js';

/** The local "confirm order" action: the order becomes CONFIRMED with the saga's last step. */
export async function confirmOrder(tx: Queryable, data: OrderData): Promise<void> {
  await tx.query(`update orders.orders set status = 'CONFIRMED' where id = $1`, [data.orderId]);
}

/** Its compensation: the order is cancelled. */
export async function cancelOrder(tx: Queryable, data: OrderData): Promise<void> {
  await tx.query(`update orders.orders set status = 'CANCELLED' where id = $1`, [data.orderId]);
}

/** The topic the orchestrator of a world with this prefix receives replies on. */
export function replyTopicOf(prefix: string): string {
  return `${prefix}.replies`;
}

/**
 * What the services agree on: saga commands (shared by the order saga and its participants),
 * application events and their topics, the CDC topics and the Debezium connectors.
 */
import { defineEvent } from '@trackops/outbox';
import { defineCommand } from '@trackops/saga';
import { z } from 'zod';

export const money = z
  .string()
  .regex(/^\d{1,10}(\.\d{1,2})?$/, 'must be a decimal amount with up to 2 decimals, e.g. "19.90"');
export const sku = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be 1-64 letters, digits or -');
export const orderItem = z.object({
  sku,
  quantity: z.int().min(1).max(1000),
  unitPrice: money,
});

/** Saga commands and the saga's reply topic. */
export const topics = {
  inventoryCommands: 'inventory.commands',
  paymentCommands: 'payment.commands',
  orderSagaReplies: 'order.saga.replies',
} as const;

export const ReserveInventory = defineCommand({
  type: 'RESERVE_INVENTORY',
  topic: topics.inventoryCommands,
  payload: z.object({
    orderId: z.uuid(),
    items: z.array(z.object({ sku, quantity: z.int().min(1) })).min(1),
  }),
  reply: z.object({ reservationId: z.uuid() }),
});
export const ReleaseInventory = defineCommand({
  type: 'RELEASE_INVENTORY',
  topic: topics.inventoryCommands,
  payload: z.object({ orderId: z.uuid(), reason: z.string() }),
  reply: z.object({ released: z.boolean() }),
});
export const ProcessPayment = defineCommand({
  type: 'PROCESS_PAYMENT',
  topic: topics.paymentCommands,
  payload: z.object({ orderId: z.uuid(), customerId: z.string(), amount: money }),
  reply: z.object({ paymentId: z.uuid() }),
});
export const RefundPayment = defineCommand({
  type: 'REFUND_PAYMENT',
  topic: topics.paymentCommands,
  payload: z.object({ orderId: z.uuid(), paymentId: z.uuid().optional() }),
  reply: z.object({ refunded: z.boolean() }),
});

/**
 * Application events, written to the services' outboxes and relayed by the event-relay-service
 * with `route: { by: 'type', topic: '${routedByValue}' }`: the event type is the topic, as in
 * the original system.
 */
export const OrderCreated = defineEvent({
  type: 'ORDER_CREATED',
  aggregateType: 'order',
  payload: z.object({
    orderId: z.uuid(),
    customerId: z.string(),
    totalAmount: money,
    items: z.array(orderItem),
  }),
});
export const OrderCancelled = defineEvent({
  type: 'ORDER_CANCELLED',
  aggregateType: 'order',
  payload: z.object({ orderId: z.uuid(), reason: z.string() }),
});
export const InventoryReserved = defineEvent({
  type: 'inventory.reserved',
  aggregateType: 'reservation',
  payload: z.object({
    orderId: z.uuid(),
    reservationId: z.uuid(),
    items: z.array(z.object({ sku, quantity: z.int() })),
  }),
});
export const InventoryReservationFailed = defineEvent({
  type: 'inventory.reservation.failed',
  aggregateType: 'reservation',
  payload: z.object({ orderId: z.uuid(), reason: z.string() }),
});
export const InventoryReleased = defineEvent({
  type: 'inventory.released',
  aggregateType: 'reservation',
  payload: z.object({ orderId: z.uuid(), reservationId: z.uuid() }),
});
export const InventoryLowStock = defineEvent({
  type: 'inventory.low-stock',
  aggregateType: 'inventory-item',
  payload: z.object({ sku, available: z.int(), threshold: z.int() }),
});

/** Events the event-relay-service derives from the orders change stream. */
export const OrderCreatedFromCdc = defineEvent({
  type: 'order.created',
  aggregateType: 'order',
  payload: z.object({
    orderId: z.uuid(),
    customerId: z.string(),
    status: z.string(),
    totalAmount: money,
  }),
});
export const OrderStatusUpdated = defineEvent({
  type: 'order.status.updated',
  aggregateType: 'order',
  payload: z.object({
    orderId: z.uuid(),
    from: z.string(),
    to: z.string(),
    reason: z.string().nullable(),
  }),
});

/** Debezium: connector names and the change topics they write (`<prefix>.public.<table>`). */
export const cdc = {
  orders: {
    connector: 'trackops-orders',
    database: 'trackops_orders',
    tables: ['public.orders', 'public.order_items'],
    ordersTopic: 'trackops_orders.public.orders',
    orderItemsTopic: 'trackops_orders.public.order_items',
  },
  inventory: {
    connector: 'trackops-inventory',
    database: 'trackops_inventory',
    tables: ['public.inventory_items', 'public.reservations'],
    itemsTopic: 'trackops_inventory.public.inventory_items',
    reservationsTopic: 'trackops_inventory.public.reservations',
  },
} as const;

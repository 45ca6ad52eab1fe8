/**
 * The order-service's SQL: orders, their items and idempotency keys. Every write takes the
 * caller's transaction, so the order, its outbox event and its saga commit together.
 */
import type { Queryable } from '@trackops/core';
import {
  normalizeAmount,
  type ListQuery,
  type Order,
  type OrderHeader,
  type OrderItemView,
  type OrderPage,
  type OrderStatus,
} from './model.js';

const headerColumns = `id::text as id, customer_id, status, total_amount::text as total_amount,
  shipping_address, cancellation_reason, saga_id::text as saga_id, created_at, updated_at`;

/** An `orders` row, as the driver reads it or as the change stream carries it. */
export type OrderRow = {
  id: string;
  customer_id: string;
  status: OrderStatus;
  total_amount: string;
  shipping_address: string | null;
  cancellation_reason: string | null;
  saga_id: string;
  /** A Date from the driver (milliseconds); ISO text with microseconds from Debezium. */
  created_at: Date | string;
  updated_at: Date | string;
};
type HeaderRow = OrderRow & { created_at: Date; updated_at: Date };

/**
 * The API's header of an order row. The database read and the change stream's image give the
 * same value (amounts normalized, timestamps to milliseconds), so a warmed cache entry equals
 * what a fill would have stored.
 */
export function orderHeaderOf(row: OrderRow): OrderHeader {
  return {
    id: row.id,
    customerId: row.customer_id,
    status: row.status,
    totalAmount: normalizeAmount(row.total_amount),
    shippingAddress: row.shipping_address,
    cancellationReason: row.cancellation_reason,
    sagaId: row.saga_id,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
const headerOf = orderHeaderOf;

/** An order as the API shows it, with the columns the sagas need. */
export interface StoredOrder extends OrderHeader {
  cancelSagaId: string | null;
  reservationId: string | null;
  paymentId: string | null;
}

export async function findOrderHeader(db: Queryable, id: string): Promise<OrderHeader | undefined> {
  const { rows } = await db.query<HeaderRow>(`select ${headerColumns} from orders where id = $1`, [
    id,
  ]);
  return rows[0] === undefined ? undefined : headerOf(rows[0]);
}

/** The order locked for the caller's transaction (`for update`). */
export async function lockOrder(tx: Queryable, id: string): Promise<StoredOrder | undefined> {
  const { rows } = await tx.query<
    HeaderRow & {
      cancel_saga_id: string | null;
      reservation_id: string | null;
      payment_id: string | null;
    }
  >(
    `select ${headerColumns}, cancel_saga_id::text as cancel_saga_id,
            reservation_id::text as reservation_id, payment_id::text as payment_id
       from orders where id = $1 for update`,
    [id],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    ...headerOf(row),
    cancelSagaId: row.cancel_saga_id,
    reservationId: row.reservation_id,
    paymentId: row.payment_id,
  };
}

/** The items of an order, in the order they were given. */
export async function findItems(db: Queryable, orderId: string): Promise<OrderItemView[]> {
  const { rows } = await db.query<{ sku: string; quantity: number; unit_price: string }>(
    `select sku, quantity, unit_price::text as unit_price from order_items
      where order_id = $1 order by line`,
    [orderId],
  );
  return rows.map((row) => ({
    sku: row.sku,
    quantity: row.quantity,
    unitPrice: normalizeAmount(row.unit_price),
  }));
}

export async function findOrder(db: Queryable, id: string): Promise<Order | undefined> {
  const header = await findOrderHeader(db, id);
  if (header === undefined) return undefined;
  return { ...header, items: await findItems(db, id) };
}

/** One page of orders, newest first, with their items (two queries, whatever the size). */
export async function listOrders(db: Queryable, query: ListQuery): Promise<OrderPage> {
  const filters = [query.status ?? null, query.customerId ?? null];
  const where = '($1::text is null or status = $1) and ($2::text is null or customer_id = $2)';
  const [page, count] = await Promise.all([
    db.query<HeaderRow>(
      `select ${headerColumns} from orders where ${where}
        order by created_at desc, id desc limit $3 offset $4`,
      [...filters, query.size, query.page * query.size],
    ),
    db.query<{ total: number }>(
      `select count(*)::int as total from orders where ${where}`,
      filters,
    ),
  ]);
  const ids = page.rows.map((row) => row.id);
  const items = new Map<string, OrderItemView[]>(ids.map((id) => [id, []]));
  if (ids.length > 0) {
    const { rows } = await db.query<{
      order_id: string;
      sku: string;
      quantity: number;
      unit_price: string;
    }>(
      `select order_id::text as order_id, sku, quantity, unit_price::text as unit_price
         from order_items where order_id = any($1::uuid[]) order by order_id, line`,
      [ids],
    );
    for (const row of rows) {
      items.get(row.order_id)?.push({
        sku: row.sku,
        quantity: row.quantity,
        unitPrice: normalizeAmount(row.unit_price),
      });
    }
  }
  return {
    items: page.rows.map((row) => ({ ...headerOf(row), items: items.get(row.id) ?? [] })),
    page: query.page,
    size: query.size,
    total: count.rows[0]?.total ?? 0,
  };
}

/** A new order and its items, PENDING. */
export async function insertOrder(
  tx: Queryable,
  order: {
    id: string;
    customerId: string;
    totalAmount: string;
    shippingAddress: string | null;
    sagaId: string;
    items: ReadonlyArray<{ sku: string; quantity: number; unitPrice: string }>;
  },
): Promise<Order> {
  const { rows } = await tx.query<HeaderRow>(
    `insert into orders (id, customer_id, status, total_amount, shipping_address, saga_id)
     values ($1, $2, 'PENDING', $3, $4, $5) returning ${headerColumns}`,
    [order.id, order.customerId, order.totalAmount, order.shippingAddress, order.sagaId],
  );
  await tx.query(
    `insert into order_items (order_id, line, sku, quantity, unit_price)
     select $1, line::int, sku, quantity, unit_price
       from unnest($2::text[], $3::int[], $4::numeric[]) with ordinality
         as item(sku, quantity, unit_price, line)`,
    [
      order.id,
      order.items.map((item) => item.sku),
      order.items.map((item) => item.quantity),
      order.items.map((item) => item.unitPrice),
    ],
  );
  return {
    ...headerOf(rows[0]!),
    items: order.items.map((item) => ({
      sku: item.sku,
      quantity: item.quantity,
      unitPrice: normalizeAmount(item.unitPrice),
    })),
  };
}

/**
 * Moves an order from one of `from` to `to` (with `changes` to other columns); the header
 * after the change, or undefined when the order was not in one of `from`.
 */
export async function transition(
  tx: Queryable,
  id: string,
  from: readonly OrderStatus[],
  to: OrderStatus,
  changes: {
    cancellationReason?: string;
    cancelSagaId?: string;
    reservationId?: string | null;
    paymentId?: string | null;
  } = {},
): Promise<OrderHeader | undefined> {
  const { rows } = await tx.query<HeaderRow>(
    `update orders set status = $3, updated_at = now(),
            cancellation_reason = coalesce($4, cancellation_reason),
            cancel_saga_id = coalesce($5::uuid, cancel_saga_id),
            reservation_id = coalesce($6::uuid, reservation_id),
            payment_id = coalesce($7::uuid, payment_id)
      where id = $1 and status = any($2::text[]) returning ${headerColumns}`,
    [
      id,
      from,
      to,
      changes.cancellationReason ?? null,
      changes.cancelSagaId ?? null,
      changes.reservationId ?? null,
      changes.paymentId ?? null,
    ],
  );
  return rows[0] === undefined ? undefined : headerOf(rows[0]);
}

/** What an idempotency key already names, if anything. */
export type IdempotencyClaim =
  { claimed: true } | { claimed: false; orderId: string; requestHash: string };

/**
 * Claims `key` for `orderId` in the order's transaction. A concurrent claim of the same key
 * waits on the unique index until the first commits (then sees its row) or rolls back (then
 * claims it), so one key never names two orders.
 */
export async function claimIdempotencyKey(
  tx: Queryable,
  key: string,
  requestHash: string,
  orderId: string,
): Promise<IdempotencyClaim> {
  const inserted = await tx.query(
    `insert into idempotency_keys (key, request_hash, order_id) values ($1, $2, $3)
     on conflict (key) do nothing`,
    [key, requestHash, orderId],
  );
  if (inserted.rowCount === 1) return { claimed: true };
  const { rows } = await tx.query<{ order_id: string; request_hash: string }>(
    'select order_id::text as order_id, request_hash from idempotency_keys where key = $1',
    [key],
  );
  const row = rows[0]!;
  return { claimed: false, orderId: row.order_id, requestHash: row.request_hash };
}

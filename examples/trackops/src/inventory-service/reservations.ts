/**
 * Reserving and releasing stock — shared by the saga participant and the HTTP API. Each runs
 * in the caller's transaction and writes its events there, so the stock change, the
 * reservation row and the events commit together.
 */
import type { Queryable } from '@trackops/core';
import { v7 as uuidv7 } from 'uuid';
import type { Reservation } from './schemas.js';
import {
  lowStockEvents,
  releasedEvent,
  reservedEvent,
  writeEvents,
  type EventContext,
  type Stock,
} from './stockEvents.js';

type ReservationRow = {
  id: string;
  order_id: string;
  status: 'RESERVED' | 'RELEASED';
  items: Array<{ sku: string; quantity: number }>;
  created_at: Date;
  updated_at: Date;
};

const reservationColumns = 'id::text, order_id::text, status, items, created_at, updated_at';

function toReservation(row: ReservationRow): Reservation {
  return {
    id: row.id,
    orderId: row.order_id,
    status: row.status,
    items: row.items,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** What {@link reserve} did. */
export type ReserveOutcome =
  | { kind: 'reserved'; reservation: Reservation; created: boolean }
  | { kind: 'insufficient'; sku: string; reason: string }
  | { kind: 'released'; reservation: Reservation; reason: string };

/**
 * Serialises every reservation change of one order (reserve, release, a duplicate request)
 * for the transaction, so the "one reservation per order" check and the insert cannot race.
 */
async function lockOrder(tx: Queryable, orderId: string): Promise<ReservationRow | undefined> {
  await tx.query(
    `select pg_advisory_xact_lock(hashtextextended('inventory:reservation:' || $1, 0))`,
    [orderId],
  );
  const { rows } = await tx.query<ReservationRow>(
    `select ${reservationColumns} from reservations where order_id = $1::uuid`,
    [orderId],
  );
  return rows[0];
}

/** Locks the items' rows in SKU order (a fixed order: two reservations cannot deadlock). */
async function lockStock(tx: Queryable, skus: readonly string[]): Promise<Map<string, Stock>> {
  const { rows } = await tx.query<{ sku: string; available: number; threshold: number }>(
    `select sku, quantity - reserved as available, low_stock_threshold as threshold
       from inventory_items where sku = any($1::text[]) order by sku for update`,
    [skus],
  );
  return new Map(rows.map((row) => [row.sku, row]));
}

/** The same SKU twice in a request counts once, with the quantities added. */
function merge(items: ReadonlyArray<{ sku: string; quantity: number }>) {
  const totals = new Map<string, number>();
  for (const { sku, quantity } of items) totals.set(sku, (totals.get(sku) ?? 0) + quantity);
  return [...totals].map(([sku, quantity]) => ({ sku, quantity }));
}

/**
 * Reserves every item of an order, or none: stock is checked under the items' row locks, and
 * the check constraints would refuse an oversell anyway. Idempotent per order: a second call
 * returns the existing reservation (`created: false`). Writes `inventory.reserved` and
 * `inventory.low-stock` for items that became low. A shortage writes nothing: the caller
 * decides how to report it (see the participant).
 */
export async function reserve(
  tx: Queryable,
  request: { orderId: string; items: ReadonlyArray<{ sku: string; quantity: number }> },
  context: EventContext,
): Promise<ReserveOutcome> {
  const existing = await lockOrder(tx, request.orderId);
  if (existing?.status === 'RESERVED') {
    return { kind: 'reserved', reservation: toReservation(existing), created: false };
  }
  if (existing) {
    return {
      kind: 'released',
      reservation: toReservation(existing),
      reason: `the reservation of order ${request.orderId} was released`,
    };
  }
  const items = merge(request.items);
  const stock = await lockStock(
    tx,
    items.map((item) => item.sku),
  );
  for (const item of [...items].sort((a, b) => a.sku.localeCompare(b.sku))) {
    const available = stock.get(item.sku)?.available ?? 0;
    if (available < item.quantity) {
      return { kind: 'insufficient', sku: item.sku, reason: `insufficient stock of ${item.sku}` };
    }
  }
  await tx.query(
    `update inventory_items i set reserved = i.reserved + r.quantity, updated_at = now()
       from unnest($1::text[], $2::int[]) as r(sku, quantity) where i.sku = r.sku`,
    [items.map((item) => item.sku), items.map((item) => item.quantity)],
  );
  const { rows } = await tx.query<ReservationRow>(
    `insert into reservations (id, order_id, status, items) values ($1, $2, 'RESERVED', $3)
     returning ${reservationColumns}`,
    [uuidv7(), request.orderId, JSON.stringify(items)],
  );
  const reservation = toReservation(rows[0]!);
  const before = [...stock.values()];
  const after = before.map((entry) => ({
    ...entry,
    available: entry.available - (items.find((item) => item.sku === entry.sku)?.quantity ?? 0),
  }));
  await writeEvents(tx, [
    reservedEvent(reservation, context),
    ...lowStockEvents(before, after, context),
  ]);
  return { kind: 'reserved', reservation, created: true };
}

/**
 * Returns an order's reserved stock, once: a second release, or a release of an order that
 * reserved nothing (its reservation was refused, or never arrived), is `released: false`.
 * Writes `inventory.released`.
 */
export async function release(
  tx: Queryable,
  orderId: string,
  context: EventContext,
): Promise<{ released: boolean; reservation?: Reservation }> {
  const existing = await lockOrder(tx, orderId);
  if (existing?.status !== 'RESERVED') return { released: false };
  await lockStock(
    tx,
    existing.items.map((item) => item.sku),
  );
  await tx.query(
    `update inventory_items i set reserved = i.reserved - r.quantity, updated_at = now()
       from unnest($1::text[], $2::int[]) as r(sku, quantity) where i.sku = r.sku`,
    [existing.items.map((item) => item.sku), existing.items.map((item) => item.quantity)],
  );
  const { rows } = await tx.query<ReservationRow>(
    `update reservations set status = 'RELEASED', updated_at = now() where id = $1::uuid
     returning ${reservationColumns}`,
    [existing.id],
  );
  const reservation = toReservation(rows[0]!);
  await writeEvents(tx, [releasedEvent(reservation, context)]);
  return { released: true, reservation };
}

/** Reservations, newest first, filtered by order and status. */
export async function listReservations(
  db: Queryable,
  filter: { orderId?: string | undefined; status?: 'RESERVED' | 'RELEASED' | undefined },
  page: number,
  size: number,
): Promise<{ items: Reservation[]; total: number }> {
  const where = `where ($1::uuid is null or order_id = $1::uuid) and ($2::text is null or status = $2)`;
  const values = [filter.orderId ?? null, filter.status ?? null];
  const [list, count] = await Promise.all([
    db.query<ReservationRow>(
      `select ${reservationColumns} from reservations ${where}
        order by created_at desc, id desc limit $3 offset $4`,
      [...values, size, page * size],
    ),
    db.query<{ total: number }>(`select count(*)::int as total from reservations ${where}`, values),
  ]);
  return { items: list.rows.map(toReservation), total: count.rows[0]?.total ?? 0 };
}

/**
 * The inventory_items table: reads (what the cache loads) and admin writes. Writes run in the
 * caller's transaction so their events commit with them.
 */
import type { Queryable } from '@trackops/core';
import { v7 as uuidv7 } from 'uuid';
import { conflict, pgCode } from './errors.js';
import type { Item, ItemChanges } from './schemas.js';

const itemColumns = `id::text, sku, name, quantity, reserved, low_stock_threshold, price::text,
  created_at, updated_at`;

/** A row as the queries of this module select it. */
type ItemRow = {
  id: string;
  sku: string;
  name: string;
  quantity: number;
  reserved: number;
  low_stock_threshold: number;
  price: string;
  created_at: Date | string;
  updated_at: Date | string;
};

/**
 * The API's Item from a row — a database row or a CDC row image (timestamps as Debezium's
 * text). Both become the same ISO text (milliseconds), so a warmed entry equals a loaded one.
 */
export function toItem(row: ItemRow): Item {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    quantity: row.quantity,
    reserved: row.reserved,
    available: row.quantity - row.reserved,
    lowStockThreshold: row.low_stock_threshold,
    price: row.price,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The item with this UUID or SKU. */
export async function findItem(db: Queryable, idOrSku: string): Promise<Item | undefined> {
  const byId = uuidPattern.test(idOrSku);
  const { rows } = await db.query<ItemRow>(
    `select ${itemColumns} from inventory_items where ${byId ? 'id = $1::uuid' : 'sku = $1'}`,
    [idOrSku],
  );
  return rows[0] && toItem(rows[0]);
}

/** The ids of the items with these SKUs (what their cache keys are made of). */
export async function itemIdentities(
  db: Queryable,
  skus: readonly string[],
): Promise<Array<{ id: string; sku: string }>> {
  const { rows } = await db.query<{ id: string; sku: string }>(
    'select id::text, sku from inventory_items where sku = any($1::text[])',
    [skus],
  );
  return rows;
}

/** A page of items, by SKU. */
export async function listItems(
  db: Queryable,
  page: number,
  size: number,
): Promise<{ items: Item[]; total: number }> {
  const [list, count] = await Promise.all([
    db.query<ItemRow>(
      `select ${itemColumns} from inventory_items order by sku limit $1 offset $2`,
      [size, page * size],
    ),
    db.query<{ total: number }>('select count(*)::int as total from inventory_items'),
  ]);
  return { items: list.rows.map(toItem), total: count.rows[0]?.total ?? 0 };
}

/** Inserts an item; a taken SKU is a conflict (409). */
export async function createItem(
  tx: Queryable,
  input: { sku: string; name: string; quantity: number; lowStockThreshold: number; price: string },
): Promise<Item> {
  try {
    const { rows } = await tx.query<ItemRow>(
      `insert into inventory_items (id, sku, name, quantity, low_stock_threshold, price)
       values ($1, $2, $3, $4, $5, $6) returning ${itemColumns}`,
      [uuidv7(), input.sku, input.name, input.quantity, input.lowStockThreshold, input.price],
    );
    return toItem(rows[0]!);
  } catch (error) {
    if (pgCode(error).code === '23505') throw conflict(`sku ${input.sku} already exists`, error);
    throw error;
  }
}

/**
 * Applies changes to an item under its row lock; `before` and `after` let the caller see
 * whether availability crossed the low-stock threshold. Undefined when there is no such item.
 */
export async function updateItem(
  tx: Queryable,
  idOrSku: string,
  changes: ItemChanges,
): Promise<{ before: Item; after: Item } | undefined> {
  const byId = uuidPattern.test(idOrSku);
  const locked = await tx.query<ItemRow>(
    `select ${itemColumns} from inventory_items where ${byId ? 'id = $1::uuid' : 'sku = $1'}
     for update`,
    [idOrSku],
  );
  const row = locked.rows[0];
  if (!row) return undefined;
  try {
    const { rows } = await tx.query<ItemRow>(
      `update inventory_items
          set name = coalesce($2, name),
              quantity = coalesce($3, quantity),
              low_stock_threshold = coalesce($4, low_stock_threshold),
              price = coalesce($5::numeric, price),
              updated_at = now()
        where id = $1::uuid
        returning ${itemColumns}`,
      [
        row.id,
        changes.name ?? null,
        changes.quantity ?? null,
        changes.lowStockThreshold ?? null,
        changes.price ?? null,
      ],
    );
    return { before: toItem(row), after: toItem(rows[0]!) };
  } catch (error) {
    if (pgCode(error).constraint === 'inventory_items_reserved_within_quantity') {
      throw conflict(
        `quantity ${String(changes.quantity)} of ${row.sku} is below the ${row.reserved} reserved`,
        error,
      );
    }
    throw error;
  }
}

/** Deletes an item unless stock of it is reserved (409). */
export async function deleteItem(tx: Queryable, idOrSku: string): Promise<Item | undefined> {
  const byId = uuidPattern.test(idOrSku);
  const { rows } = await tx.query<ItemRow>(
    `select ${itemColumns} from inventory_items where ${byId ? 'id = $1::uuid' : 'sku = $1'}
     for update`,
    [idOrSku],
  );
  const row = rows[0];
  if (!row) return undefined;
  if (row.reserved > 0) {
    throw conflict(`${row.reserved} of ${row.sku} are reserved; release them first`);
  }
  await tx.query('delete from inventory_items where id = $1::uuid', [row.id]);
  return toItem(row);
}

/** `GET /api/inventory/health`: counts, and the items at or below their threshold. */
export async function stockSummary(db: Queryable): Promise<{
  items: number;
  reserved: number;
  lowStock: Array<{ sku: string; available: number; threshold: number }>;
}> {
  const [totals, low] = await Promise.all([
    db.query<{ items: number; reserved: number }>(
      'select count(*)::int as items, coalesce(sum(reserved), 0)::int as reserved from inventory_items',
    ),
    db.query<{ sku: string; available: number; threshold: number }>(
      `select sku, quantity - reserved as available, low_stock_threshold as threshold
         from inventory_items where quantity - reserved <= low_stock_threshold order by sku`,
    ),
  ]);
  return {
    items: totals.rows[0]?.items ?? 0,
    reserved: totals.rows[0]?.reserved ?? 0,
    lowStock: low.rows,
  };
}

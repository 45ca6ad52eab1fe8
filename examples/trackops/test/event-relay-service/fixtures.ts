/**
 * The other services' databases as the event-relay-service finds them, for its tests: an
 * orders database (outbox, `orders`, `order_items` with the columns the CDC transformation
 * reads) and an inventory database (outbox and the inventory-service's own migrations).
 */
import { migrate } from '@trackops/outbox';
import { createTestDatabase, stackEndpoints, type TestDatabase } from '@trackops/testkit';
import { migrateService } from '../../src/shared/database.js';

export interface RelayFixture {
  orders: TestDatabase;
  inventory: TestDatabase;
  own: TestDatabase;
  drop(): Promise<void>;
}

export async function relayDatabases(prefix: string): Promise<RelayFixture> {
  const server = stackEndpoints().DATABASE_URL;
  const [orders, inventory, own] = await Promise.all([
    createTestDatabase(server, `${prefix}_orders`),
    createTestDatabase(server, `${prefix}_inventory`),
    createTestDatabase(server, `${prefix}_relay`),
  ]);
  await migrate(orders.pool);
  await orders.pool.query(`
    create table orders (
      id uuid primary key,
      customer_id text not null,
      status text not null,
      total_amount numeric(12, 2) not null,
      shipping_address text,
      cancellation_reason text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create table order_items (
      order_id uuid not null references orders (id),
      sku text not null,
      quantity integer not null,
      unit_price numeric(12, 2) not null,
      primary key (order_id, sku)
    );`);
  await migrate(inventory.pool);
  await migrateService(
    inventory.pool,
    'inventory-service',
    new URL('../../src/inventory-service/migrations/', import.meta.url),
  );
  return {
    orders,
    inventory,
    own,
    drop: async () => {
      await Promise.all([orders.drop(), inventory.drop(), own.drop()]);
    },
  };
}

/**
 * The tables the cache's CDC tests share: `orders` (a row cached per id and in per-customer
 * lists) and `order_items` (cached per order), captured by a Debezium connector of the test
 * file's own, with `REPLICA IDENTITY FULL` so updates carry the old image (a row moving from
 * one customer to another invalidates both lists).
 */
import {
  createTestDatabase,
  createTopics,
  debeziumTestConfig,
  deleteConnector,
  putConnector,
  testKafka,
  uniqueName,
  waitForSlot,
  withDatabase,
  type TestDatabase,
} from '@trackops/testkit';
import type { StackEndpoints } from '@trackops/testkit';
import { column, defineTable } from '@trackops/cdc';
import type { Kafka } from 'kafkajs';

export const ordersTable = defineTable({
  table: 'orders',
  key: ['id'],
  columns: {
    id: column.int32(),
    customer_id: column.int32(),
    status: column.string(),
    version: column.int32(),
  },
});

export const itemsTable = defineTable({
  table: 'order_items',
  key: ['id'],
  columns: {
    id: column.int32(),
    order_id: column.int32(),
    sku: column.string(),
    qty: column.int32(),
  },
});

/** What the loaders return and what warming caches: one shape, so the checker compares bytes. */
export interface Order {
  id: number;
  customerId: number;
  status: string;
  version: number;
}

export function toOrder(row: {
  id: number;
  customer_id: number;
  status: string;
  version: number;
}): Order {
  return { id: row.id, customerId: row.customer_id, status: row.status, version: row.version };
}

export interface OrdersFixture {
  readonly db: TestDatabase;
  readonly kafka: Kafka;
  readonly prefix: string;
  /** Loads one order as the application would. */
  loadOrder(id: number): Promise<Order | undefined>;
  /** A customer's order ids, ascending. */
  loadCustomerOrders(customerId: number): Promise<number[]>;
  /** Deletes the connector, then the database. */
  drop(): Promise<void>;
}

export async function ordersFixture(stack: StackEndpoints, name: string): Promise<OrdersFixture> {
  const db = await createTestDatabase(stack.DATABASE_URL, name);
  await db.pool.query(
    `create table orders (id integer primary key, customer_id integer not null, status text not null, version integer not null default 1)`,
  );
  await db.pool.query(
    `create table order_items (id integer primary key, order_id integer not null, sku text not null, qty integer not null)`,
  );
  await db.pool.query(`alter table orders replica identity full`);
  await db.pool.query(`alter table order_items replica identity full`);
  const kafka = testKafka(stack.KAFKA_BROKERS);
  const prefix = uniqueName(name);
  // One partition per topic: a sentinel change proves every earlier change was handled.
  await createTopics(kafka, [`${prefix}.public.orders`, `${prefix}.public.order_items`], 1);
  const config = debeziumTestConfig(
    {
      databaseUrl: withDatabase(stack.CONNECT_DATABASE_URL, db.name),
      database: db.name,
      topicPrefix: prefix,
      tables: ['public.orders', 'public.order_items'],
    },
    {
      'snapshot.mode': 'no_data',
      'poll.interval.ms': '10',
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'key.converter.schemas.enable': 'false',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable': 'false',
    },
  );
  let connector: string | undefined = prefix;
  try {
    await putConnector(stack.CONNECT_URL, prefix, config);
    await waitForSlot(stack.DATABASE_URL, config['slot.name']!);
  } catch (error) {
    await deleteConnector(stack.CONNECT_URL, prefix).catch(() => undefined);
    await db.drop();
    throw error;
  }
  return {
    db,
    kafka,
    prefix,
    async loadOrder(id) {
      const { rows } = await db.pool.query<{
        id: number;
        customer_id: number;
        status: string;
        version: number;
      }>('select id, customer_id, status, version from orders where id = $1', [id]);
      return rows[0] ? toOrder(rows[0]) : undefined;
    },
    async loadCustomerOrders(customerId) {
      const { rows } = await db.pool.query<{ id: number }>(
        'select id from orders where customer_id = $1 order by id',
        [customerId],
      );
      return rows.map((row) => row.id);
    },
    async drop() {
      if (connector) await deleteConnector(stack.CONNECT_URL, connector);
      connector = undefined;
      await db.drop();
    },
  };
}

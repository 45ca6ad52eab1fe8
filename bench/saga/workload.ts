/**
 * What the systems of the saga benchmark run: the same three-step order saga — reserve stock
 * (inventory service), capture the payment (payment service), confirm the order (local) — on
 * the same business tables, over topics of their own. The library declares it with
 * `defineSaga`; the baseline (baseline.ts) hand-writes the same transactions and Kafka round
 * trips; `bare` (bare.ts) hand-writes them without outbox and step log.
 */
import { createTopics, type TestDatabase } from '@trackops/testkit/helpers';
import { defineCommand, defineSaga, migrateParticipant, migrateSagas } from '@trackops/saga';
import { z } from 'zod';
import type { Cleanup } from '../lib/cleanup.js';
import { benchDatabase, type BenchContext } from '../lib/context.js';

export type SagaSystem = 'library' | 'baseline' | 'bare';

export const sagaSystems: readonly SagaSystem[] = ['library', 'baseline', 'bare'];

/** The schemas of the three services; in the baseline each has its `outbox` and `inbox`. */
export type ServiceSchema = 'orders' | 'inventory' | 'payment';

/** The baseline's outbox of `schema` and its NOTIFY channel. */
export function outboxTable(schema: ServiceSchema): { table: string; channel: string } {
  return { table: `${schema}.outbox`, channel: `${schema}_outbox` };
}

/** The topics of one system's run. */
export function sagaTopics(prefix: string) {
  return {
    inventory: `${prefix}.inventory`,
    payment: `${prefix}.payment`,
    replies: `${prefix}.replies`,
  };
}

/** The order saga on a run's topics, with its commands. */
export function benchSaga(prefix: string, timeoutMs: number) {
  const topics = sagaTopics(prefix);
  const reserve = defineCommand({
    type: 'RESERVE_INVENTORY',
    topic: topics.inventory,
    payload: z.object({ orderId: z.string(), sku: z.string(), quantity: z.int().min(1) }),
    reply: z.object({ reservationId: z.string() }),
  });
  const release = defineCommand({
    type: 'RELEASE_INVENTORY',
    topic: topics.inventory,
    payload: z.object({ orderId: z.string() }),
    reply: z.object({}),
  });
  const pay = defineCommand({
    type: 'PROCESS_PAYMENT',
    topic: topics.payment,
    payload: z.object({ orderId: z.string(), amount: z.string() }),
    reply: z.object({ paymentId: z.string() }),
  });
  const refund = defineCommand({
    type: 'REFUND_PAYMENT',
    topic: topics.payment,
    payload: z.object({ orderId: z.string() }),
    reply: z.object({}),
  });
  const data = z.object({
    orderId: z.string(),
    sku: z.string(),
    quantity: z.int().min(1),
    amount: z.string(),
    reservationId: z.string().optional(),
    paymentId: z.string().optional(),
  });
  const saga = defineSaga({ name: 'order', data })
    .step('reserve-inventory', {
      command: reserve,
      payload: ({ orderId, sku, quantity }) => ({ orderId, sku, quantity }),
      onReply: (state, reply) => ({ ...state, reservationId: reply.reservationId }),
      compensation: { command: release, payload: ({ orderId }) => ({ orderId }) },
      timeoutMs,
    })
    .step('process-payment', {
      command: pay,
      payload: ({ orderId, amount }) => ({ orderId, amount }),
      onReply: (state, reply) => ({ ...state, paymentId: reply.paymentId }),
      compensation: { command: refund, payload: ({ orderId }) => ({ orderId }) },
      timeoutMs,
    })
    .step('confirm-order', {
      local: async (tx, { orderId }) => {
        await tx.query(sql.confirm, [orderId]);
      },
      timeoutMs,
    })
    .build();
  return { saga, commands: { reserve, release, pay, refund } };
}

/** The business statements, shared by all systems so they do the same work. */
export const sql = {
  placeOrder: `insert into orders.orders (id, sku, quantity, amount, status) values ($1, $2, $3, $4, 'PENDING')`,
  confirm: `update orders.orders set status = 'CONFIRMED' where id = $1`,
  reserve: `update inventory.stock set available = available - $2 where sku = $1 and available >= $2`,
  recordReservation: `insert into inventory.reservations (order_id, sku, quantity, status) values ($1, $2, $3, 'RESERVED')`,
  capture: `insert into payment.payments (order_id, amount, status) values ($1, $2, 'CAPTURED')`,
};

/** SKUs the orders spread over (row locks on stock are the contended resource). */
export const SKUS = Array.from({ length: 50 }, (_, i) => `sku-${i}`);

/**
 * A fresh database with the business tables (and the saga tables of `system`), dropped at
 * cleanup, and the run's topics with `partitions` partitions, deleted at cleanup.
 */
export async function sagaDatabase(
  ctx: BenchContext,
  cleanup: Cleanup,
  system: SagaSystem,
  prefix: string,
  partitions: number,
): Promise<TestDatabase> {
  const db = await benchDatabase(ctx.stack.DATABASE_URL, cleanup, `bench_saga_${system}`);
  await db.pool.query(`
    create schema orders; create schema inventory; create schema payment;
    create table orders.orders (id text primary key, sku text not null, quantity integer not null,
      amount numeric not null, status text not null);
    create table inventory.stock (sku text primary key, available integer not null check (available >= 0));
    create table inventory.reservations (order_id text primary key, sku text not null,
      quantity integer not null, status text not null);
    create table payment.payments (order_id text primary key, amount numeric not null, status text not null);
    insert into inventory.stock select 'sku-' || i, 1000000000 from generate_series(0, ${SKUS.length - 1}) as i;
  `);
  if (system === 'library') {
    await migrateSagas(db.pool, { schema: 'orders' });
    await migrateParticipant(db.pool, { schema: 'inventory' });
    await migrateParticipant(db.pool, { schema: 'payment' });
  } else {
    await db.pool.query(`
      create table orders.saga_state (id text primary key, order_id text not null, status text not null,
        step integer not null, data jsonb not null, version integer not null default 0,
        created_at timestamptz not null default now(), updated_at timestamptz not null default now());
      create table orders.inbox (message_id text primary key);
      create table inventory.inbox (message_id text primary key);
      create table payment.inbox (message_id text primary key);
    `);
    if (system === 'baseline') await baselineTables(db.pool);
  }
  await sagaTopicsCreated(ctx, cleanup, prefix, partitions);
  return db;
}

/**
 * The baseline's step log and, per service, its outbox (relayed by baseline.ts's relay, woken
 * by a NOTIFY per inserting statement, as the library's outbox does).
 */
async function baselineTables(pool: TestDatabase['pool']): Promise<void> {
  await pool.query(`
    create table orders.saga_steps (id bigint generated always as identity primary key,
      saga_id text not null references orders.saga_state (id), step integer not null,
      event text not null, at timestamptz not null default now());
    create index saga_steps_saga_idx on orders.saga_steps (saga_id, id);
  `);
  for (const schema of ['orders', 'inventory', 'payment'] as const) {
    const { table, channel } = outboxTable(schema);
    await pool.query(`
      create table ${table} (seq bigint generated always as identity primary key,
        id uuid not null, topic text not null, key text not null, type text not null,
        payload jsonb not null, headers jsonb not null, published_at timestamptz);
      create index outbox_unpublished_idx on ${table} (seq) where published_at is null;
      create function ${schema}.outbox_notify() returns trigger language plpgsql as $$
      begin
        perform pg_notify('${channel}', '');
        return null;
      end $$;
      create trigger outbox_notify after insert on ${table}
        for each statement execute function ${schema}.outbox_notify();
    `);
  }
}

async function sagaTopicsCreated(
  ctx: BenchContext,
  cleanup: Cleanup,
  prefix: string,
  partitions: number,
): Promise<void> {
  const topics = Object.values(sagaTopics(prefix));
  await createTopics(ctx.kafka, topics, partitions);
  cleanup.defer(`delete topics ${prefix}.*`, async () => {
    const existing = new Set(await ctx.admin.listTopics());
    const mine = [...existing].filter((topic) => topic.startsWith(`${prefix}.`));
    if (mine.length > 0) await ctx.admin.deleteTopics({ topics: mine });
  });
}

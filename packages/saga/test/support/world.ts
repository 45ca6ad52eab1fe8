import type { Queryable } from '@trackops/core';
import {
  CommandRejected,
  createSagaParticipant,
  createSagaRuntime,
  getSaga,
  handle,
  migrateParticipant,
  migrateSagas,
  type SagaParticipant,
  type SagaRuntime,
  type SagaRuntimeOptions,
  type SagaStatus,
  type StepRetry,
} from '@trackops/saga';
import {
  createTestDatabase,
  createTopics,
  testKafka,
  uniqueName,
  type StackEndpoints,
  type TestDatabase,
} from '@trackops/testkit';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { expect } from 'vitest';
import { orderSaga, type OrderData } from './orderSaga.js';
import { cancelOrder, confirmOrder, replyTopicOf } from './orderTables.js';

/** Failures a test can inject into the participants, by order id. */
export interface Faults {
  /** Payment refuses (CommandRejected). */
  declinePayment: Set<string>;
  /** Payment throws (a fault: retried, then dead-lettered; the saga times out). */
  crashPayment: Set<string>;
  /** Releasing inventory is refused while set (the compensation fails). */
  releaseBroken: boolean;
  /** The local confirm step throws. */
  confirmFails: Set<string>;
  /** Releasing inventory takes this long (its reply comes late). */
  releaseDelayMs: number;
}

/**
 * The order saga on the real stack: one database with the orchestrator (`orders` schema),
 * the inventory participant (`inventory`) and the payment participant (`payment`), each with
 * its own saga outbox, inbox and relay, on topics of the test's own.
 */
export class SagaWorld {
  readonly faults: Faults = {
    declinePayment: new Set(),
    crashPayment: new Set(),
    releaseBroken: false,
    confirmFails: new Set(),
    releaseDelayMs: 0,
  };
  readonly prefix = uniqueName('saga');
  readonly kafka;
  readonly definition;
  readonly runtimes: SagaRuntime[] = [];
  readonly participants: SagaParticipant[] = [];
  /** Commands each participant handled (type and order id), in handling order. */
  readonly handled: Array<{ type: string; orderId: string }> = [];

  /**
   * The pool the runtimes and participants use: the test database's own (5 connections), or
   * a larger one of the world's when `poolSize` is given (many sagas at once).
   */
  readonly pool: pg.Pool;

  private constructor(
    readonly db: TestDatabase,
    stack: StackEndpoints,
    options: { timeoutMs?: number; retry?: Partial<StepRetry>; poolSize?: number },
  ) {
    this.kafka = testKafka(stack.KAFKA_BROKERS);
    this.pool =
      options.poolSize === undefined
        ? db.pool
        : new pg.Pool({ connectionString: db.url, max: options.poolSize }).on(
            'error',
            () => undefined,
          );
    this.definition = orderSaga(this.prefix, {
      timeoutMs: options.timeoutMs,
      retry: options.retry,
      confirm: async (tx, data) => {
        if (this.faults.confirmFails.has(data.orderId)) throw new Error('confirmation refused');
        await confirmOrder(tx, data);
      },
      unconfirm: cancelOrder,
    });
  }

  get saga() {
    return this.definition.saga;
  }

  static async create(
    stack: StackEndpoints,
    name: string,
    options: {
      timeoutMs?: number;
      retry?: Partial<StepRetry>;
      stock?: Record<string, number>;
      /** Connections of a pool of the world's own for its components (see `pool`). */
      poolSize?: number;
    } = {},
  ): Promise<SagaWorld> {
    const db = await createTestDatabase(stack.DATABASE_URL, name);
    const world = new SagaWorld(db, stack, options);
    await db.pool.query(`
      create schema orders; create schema inventory; create schema payment;
      create table orders.orders (id text primary key, status text not null, reason text);
      create table inventory.stock (sku text primary key, available integer not null check (available >= 0));
      create table inventory.reservations (order_id text primary key, items jsonb not null, status text not null);
      create table payment.payments (order_id text primary key, id text not null, amount numeric not null, status text not null);
    `);
    const stock = options.stock ?? { A: 1_000_000, B: 1_000_000 };
    for (const [sku, available] of Object.entries(stock)) {
      await db.pool.query('insert into inventory.stock values ($1, $2)', [sku, available]);
    }
    await migrateSagas(db.pool, { schema: 'orders' });
    await migrateParticipant(db.pool, { schema: 'inventory' });
    await migrateParticipant(db.pool, { schema: 'payment' });
    await createTopics(
      world.kafka,
      [`${world.prefix}.inventory`, `${world.prefix}.payment`, world.replyTopic],
      3,
    );
    return world;
  }

  get replyTopic(): string {
    return replyTopicOf(this.prefix);
  }

  /** Starts a runtime on the orchestrator's tables (several may run at once). */
  async startRuntime(options: Partial<SagaRuntimeOptions> = {}): Promise<SagaRuntime> {
    const runtime = createSagaRuntime({
      pool: this.pool,
      kafka: this.kafka,
      sagas: [this.saga],
      replyTopic: this.replyTopic,
      tables: { schema: 'orders' },
      pollIntervalMs: 100,
      retry: { attempts: 2, initialMs: 50, maxMs: 200 },
      relay: { pollIntervalMs: 100 },
      ...options,
    });
    this.runtimes.push(runtime);
    await runtime.start();
    return runtime;
  }

  /** Starts the inventory and payment participants. */
  async startParticipants(): Promise<void> {
    const { reserve, release, pay, refund } = this.definition.commands;
    const note = (type: string, orderId: string) => this.handled.push({ type, orderId });
    const common = {
      pool: this.pool,
      kafka: this.kafka,
      retry: { attempts: 2, initialMs: 50, maxMs: 200 },
      relay: { pollIntervalMs: 100 },
    };
    const inventory = createSagaParticipant({
      ...common,
      groupId: `${this.prefix}-inventory`,
      tables: { schema: 'inventory' },
      handlers: [
        handle(reserve, async ({ orderId, items }, { tx }) => {
          note('RESERVE_INVENTORY', orderId);
          for (const item of items) {
            const updated = await tx.query(
              'update inventory.stock set available = available - $2 where sku = $1 and available >= $2',
              [item.sku, item.quantity],
            );
            if (updated.rowCount !== 1)
              throw new CommandRejected(`insufficient stock of ${item.sku}`);
          }
          await tx.query(`insert into inventory.reservations values ($1, $2, 'RESERVED')`, [
            orderId,
            JSON.stringify(items),
          ]);
          return { reservationId: `r-${orderId}` };
        }),
        handle(release, async ({ orderId }, { tx }) => {
          note('RELEASE_INVENTORY', orderId);
          if (this.faults.releaseBroken) throw new CommandRejected('inventory is read-only');
          await sleep(this.faults.releaseDelayMs);
          const { rows } = await tx.query<{ items: Array<{ sku: string; quantity: number }> }>(
            `update inventory.reservations set status = 'RELEASED' where order_id = $1 and status = 'RESERVED' returning items`,
            [orderId],
          );
          for (const item of rows[0]?.items ?? []) {
            await tx.query('update inventory.stock set available = available + $2 where sku = $1', [
              item.sku,
              item.quantity,
            ]);
          }
          return {};
        }),
      ],
    });
    const payment = createSagaParticipant({
      ...common,
      groupId: `${this.prefix}-payment`,
      tables: { schema: 'payment' },
      handlers: [
        handle(pay, async ({ orderId, amount }, { tx }) => {
          note('PROCESS_PAYMENT', orderId);
          if (this.faults.crashPayment.has(orderId)) throw new Error('payment gateway unreachable');
          if (this.faults.declinePayment.has(orderId)) throw new CommandRejected('card declined');
          await tx.query(`insert into payment.payments values ($1, $2, $3, 'CAPTURED')`, [
            orderId,
            `p-${orderId}`,
            amount,
          ]);
          return { paymentId: `p-${orderId}` };
        }),
        handle(refund, async ({ orderId }, { tx }) => {
          note('REFUND_PAYMENT', orderId);
          await tx.query(`update payment.payments set status = 'REFUNDED' where order_id = $1`, [
            orderId,
          ]);
          return {};
        }),
      ],
    });
    this.participants.push(inventory, payment);
    await Promise.all([inventory.start(), payment.start()]);
  }

  /** Writes an order and begins its saga in one transaction, as a service would. */
  async placeOrder(
    runtime: SagaRuntime,
    data: Omit<OrderData, 'orderId'> & { orderId?: string },
  ): Promise<{ orderId: string; sagaId: string }> {
    const orderId = data.orderId ?? uuidv7();
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      await client.query(`insert into orders.orders values ($1, 'PENDING')`, [orderId]);
      const sagaId = await runtime.begin(client, this.saga, { ...data, orderId });
      await client.query('commit');
      return { orderId, sagaId };
    } catch (error) {
      await client.query('rollback');
      throw error;
    } finally {
      client.release();
    }
  }

  /** Waits until the saga reaches `status`, and returns it with its step log. */
  async settled(sagaId: string, status: SagaStatus, timeout = 20_000) {
    await expect
      .poll(async () => (await getSaga(this.db.pool, sagaId, { schema: 'orders' })).status, {
        timeout,
        interval: 50,
      })
      .toBe(status);
    return getSaga(this.db.pool, sagaId, { schema: 'orders' });
  }

  query(db: Queryable = this.db.pool) {
    return {
      order: async (id: string) =>
        (await db.query<{ status: string }>('select status from orders.orders where id = $1', [id]))
          .rows[0]?.status,
      reservation: async (id: string) =>
        (
          await db.query<{ status: string }>(
            'select status from inventory.reservations where order_id = $1',
            [id],
          )
        ).rows[0]?.status,
      payment: async (id: string) =>
        (
          await db.query<{ status: string }>(
            'select status from payment.payments where order_id = $1',
            [id],
          )
        ).rows[0]?.status,
      stock: async (sku: string) =>
        (
          await db.query<{ available: number }>(
            'select available from inventory.stock where sku = $1',
            [sku],
          )
        ).rows[0]?.available,
    };
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.runtimes, ...this.participants].map((component) => component.stop()),
    );
    this.runtimes.length = 0;
    this.participants.length = 0;
  }

  async drop(): Promise<void> {
    await this.stop();
    if (this.pool !== this.db.pool) await this.pool.end();
    await this.db.drop();
  }
}

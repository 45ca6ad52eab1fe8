/**
 * One order-service deployment per test file, isolated from every other test and from the real
 * services: a database of its own, saga topics and consumer groups under a unique prefix, Redis
 * keys under a unique prefix, and (optionally) a Debezium connector of its own on its tables.
 * A fake inventory-service participant answers RESERVE_INVENTORY / RELEASE_INVENTORY on the
 * deployment's topics, with stock kept in memory.
 */
import {
  createConnectClient,
  deleteConnector,
  ensureConnector,
  postgresConnectorConfig,
} from '@trackops/cdc';
import { CommandRejected, createSagaParticipant, handle, migrateParticipant } from '@trackops/saga';
import {
  createTestDatabase,
  stackEndpoints,
  testKafka,
  uniqueName,
  withDatabase,
  type TestDatabase,
} from '@trackops/testkit';
import { pino, type Logger } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { v7 as uuidv7 } from 'uuid';
import { issueToken } from '../../src/shared/auth.js';
import { loadConfig, type ServiceConfig } from '../../src/shared/config.js';
import type { PaymentSettings } from '../../src/order-service/payment.js';
import { startOrderService } from '../../src/order-service/service.js';
import { orderCommands } from '../../src/order-service/topics.js';

/** What the fake inventory did, per order. */
export interface FakeReservation {
  reservationId: string;
  items: Array<{ sku: string; quantity: number }>;
  released: boolean;
}

export interface Deployment {
  url: string;
  /** The unique prefix of this deployment's topics, groups, keys and connector. */
  prefix: string;
  config: ServiceConfig;
  db: TestDatabase;
  tokens: { customer: string; admin: string };
  /** Stock per SKU in the fake inventory (SKUs not listed have 100). */
  stock: Map<string, number>;
  reservations: Map<string, FakeReservation>;
  /** JSON log lines the service wrote (when `captureLogs`). */
  logs: Array<Record<string, unknown>>;
  /** `fetch` against the service, JSON in and out. */
  call<T = unknown>(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: T; headers: Headers }>;
  stop(): Promise<void>;
}

export interface DeploymentOptions {
  payment?: PaymentSettings;
  /** Register a Debezium connector on the deployment's tables (for the cache tests). */
  connector?: boolean;
  /** Another Redis (a dead port, to show reads survive Redis being down). */
  redisUrl?: string;
  /** Keep the service's log lines (at debug level). */
  captureLogs?: boolean;
}

/** SKUs starting with `SLOW` make the fake inventory take this long to reserve. */
export const slowReservationMs = 3_000;

export async function startDeployment(options: DeploymentOptions = {}): Promise<Deployment> {
  const stack = stackEndpoints();
  const db = await createTestDatabase(stack.DATABASE_URL, 'order_svc');
  const prefix = uniqueName('ordsvc');
  const config = loadConfig('order-service', {
    DATABASE_URL: stack.DATABASE_URL,
    CONNECT_DATABASE_URL: stack.CONNECT_DATABASE_URL,
    KAFKA_BROKERS: stack.KAFKA_BROKERS,
    REDIS_URL: options.redisUrl ?? stack.REDIS_URL,
    CONNECT_URL: stack.CONNECT_URL,
    PORT: '0',
    LOG_LEVEL: options.captureLogs ? 'debug' : 'warn',
  });
  const logs: Array<Record<string, unknown>> = [];
  const logger: Logger = options.captureLogs
    ? pino(
        { level: 'debug', base: { service: 'order-service' } },
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            for (const line of chunk.toString().split('\n')) {
              if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
            }
            done();
          },
        }),
      )
    : pino({ level: process.env['ORDER_SERVICE_TEST_LOG_LEVEL'] ?? 'silent' });

  const stops: Array<() => Promise<unknown>> = [() => db.drop()];
  const stop = async (): Promise<void> => {
    for (const step of stops.reverse()) await step();
  };
  try {
    const service = await startOrderService(config, {
      database: db.name,
      topicPrefix: prefix,
      cdcTopicPrefix: db.name,
      connector: `${prefix}-orders`,
      redisKeyPrefix: `${prefix}:`,
      payment: options.payment ?? {},
      logger,
    });
    stops.push(() => service.stop());

    const stock = new Map<string, number>();
    const reservations = new Map<string, FakeReservation>();
    const commands = orderCommands(prefix);
    const kafka = testKafka(stack.KAFKA_BROKERS, `${prefix}-inventory`);
    await migrateParticipant(db.pool, { schema: 'fake_inventory' });
    const inventory = createSagaParticipant({
      pool: db.pool,
      kafka,
      groupId: `${prefix}.inventory`,
      tables: { schema: 'fake_inventory' },
      handlers: [
        handle(commands.reserveInventory, async ({ orderId, items }) => {
          if (items.some((item) => item.sku.startsWith('SLOW'))) await sleep(slowReservationMs);
          for (const { sku, quantity } of items) {
            if ((stock.get(sku) ?? 100) < quantity) {
              throw new CommandRejected(`insufficient stock of ${sku}`);
            }
          }
          for (const { sku, quantity } of items) stock.set(sku, (stock.get(sku) ?? 100) - quantity);
          const reservationId = uuidv7();
          reservations.set(orderId, { reservationId, items, released: false });
          return { reservationId };
        }),
        handle(commands.releaseInventory, ({ orderId }) => {
          const reservation = reservations.get(orderId);
          if (reservation === undefined || reservation.released) {
            return Promise.resolve({ released: false });
          }
          for (const { sku, quantity } of reservation.items) {
            stock.set(sku, (stock.get(sku) ?? 100) + quantity);
          }
          reservation.released = true;
          return Promise.resolve({ released: true });
        }),
      ],
    });
    await inventory.start();
    stops.push(() => inventory.stop());

    if (options.connector) {
      const connect = createConnectClient({ url: stack.CONNECT_URL });
      const name = `${prefix}-orders`;
      stops.push(() => deleteConnector(connect, name));
      await ensureConnector(
        connect,
        postgresConnectorConfig({
          name,
          databaseUrl: withDatabase(stack.CONNECT_DATABASE_URL, db.name),
          topicPrefix: db.name,
          tables: ['public.orders', 'public.order_items'],
          slotName: db.name,
          snapshotMode: 'no_data',
          extra: { 'poll.interval.ms': '10' },
        }),
        { waitForSlot: { db: db.pool } },
      );
    }

    const tokens = {
      customer: await issueToken(config.jwtSecret, 'customer', 'test-customer'),
      admin: await issueToken(config.jwtSecret, 'admin', 'test-admin'),
    };
    return {
      url: service.url,
      prefix,
      config,
      db,
      tokens,
      stock,
      reservations,
      logs,
      async call(method, path, callOptions = {}) {
        const headers: Record<string, string> = { ...callOptions.headers };
        if (callOptions.body !== undefined) headers['content-type'] = 'application/json';
        if (callOptions.token !== undefined)
          headers['authorization'] = `Bearer ${callOptions.token}`;
        const response = await fetch(new URL(path, service.url), {
          method,
          headers,
          body: callOptions.body === undefined ? null : JSON.stringify(callOptions.body),
        });
        const text = await response.text();
        const type = response.headers.get('content-type') ?? '';
        return {
          status: response.status,
          body: (type.includes('json') && text !== '' ? JSON.parse(text) : text) as never,
          headers: response.headers,
        };
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Polls `read` until `done` holds, or fails after `timeoutMs` with the last value seen. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await read();
    if (done(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    }
    await sleep(100);
  }
}

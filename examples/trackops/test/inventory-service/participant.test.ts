/**
 * inventory-service as the saga participant, driven over real Kafka by an orchestrator built in
 * the test from @trackops/saga with the shared RESERVE_INVENTORY / RELEASE_INVENTORY commands:
 * a reservation that completes, one refused for a shortage (inventory.reservation.failed), and
 * one compensated by a later failing step (the stock comes back once, inventory.released).
 */
import {
  createSagaRuntime,
  defineCommand,
  defineSaga,
  getSaga,
  migrateSagas,
  type SagaRuntime,
} from '@trackops/saga';
import {
  createTestDatabase,
  createTopics,
  stackEndpoints,
  testKafka,
  uniqueName,
  type TestDatabase,
} from '@trackops/testkit';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ReleaseInventory, ReserveInventory } from '../../src/shared/contracts.js';
import { startInventoryService, type RunningService } from '../../src/inventory-service/service.js';
import { call, eventually, testConfig, tokens } from './support.js';

const prefix = uniqueName('inv_saga');
const commandTopic = `${prefix}.inventory.commands`;
const replyTopic = `${prefix}.replies`;
const sku = (name: string) => `${name}-${prefix.slice(-10)}`.toUpperCase();

const reserveCommand = defineCommand({ ...ReserveInventory, topic: commandTopic });
const releaseCommand = defineCommand({ ...ReleaseInventory, topic: commandTopic });
const item = z.object({ sku: z.string(), quantity: z.int().min(1) });
const saga = defineSaga({
  name: 'order',
  data: z.object({
    orderId: z.uuid(),
    items: z.array(item),
    failAfterReserve: z.boolean(),
    reservationId: z.string().optional(),
    failure: z.string().optional(),
  }),
})
  .step('reserve-inventory', {
    command: reserveCommand,
    payload: (data) => ({ orderId: data.orderId, items: data.items }),
    onReply: (data, reply) => ({ ...data, reservationId: reply.reservationId }),
    onFailure: (data, reason) => ({ ...data, failure: reason }),
    compensation: {
      command: releaseCommand,
      payload: (data) => ({ orderId: data.orderId, reason: data.failure ?? 'compensated' }),
    },
    timeoutMs: 20_000,
  })
  .step('process-payment', {
    // Stands in for the payment step: it fails when told to, so the saga compensates.
    local: (_tx, data) => {
      if (data.failAfterReserve) return Promise.reject(new Error('payment declined'));
      return Promise.resolve(data);
    },
    retry: { attempts: 1, initialMs: 10, maxMs: 10 },
  })
  .build();

let inventoryDb: TestDatabase;
let ordersDb: TestDatabase;
let service: RunningService;
let runtime: SagaRuntime;
let admin: string;

beforeAll(async () => {
  const stack = stackEndpoints();
  [inventoryDb, ordersDb] = await Promise.all([
    createTestDatabase(stack.DATABASE_URL, 'inv_saga'),
    createTestDatabase(stack.DATABASE_URL, 'inv_saga_orders'),
  ]);
  const kafka = testKafka(stack.KAFKA_BROKERS);
  await createTopics(kafka, [commandTopic, replyTopic]);
  const config = testConfig('inventory-service');
  ({ admin } = await tokens(config));
  service = await startInventoryService(config, {
    database: inventoryDb.name,
    commandTopic,
    participantGroupId: `${prefix}-participant`,
    cdcTopicPrefix: `${prefix}_cdc`,
    cacheGroupId: `${prefix}-cache`,
    cacheKeyPrefix: `${prefix}:`,
  });
  await migrateSagas(ordersDb.pool);
  runtime = createSagaRuntime({
    pool: ordersDb.pool,
    kafka,
    sagas: [saga],
    replyTopic,
    groupId: `${prefix}-orchestrator`,
    pollIntervalMs: 100,
    relay: { pollIntervalMs: 100 },
  });
  await runtime.start();
  for (const [name, quantity] of [
    ['a', 10],
    ['b', 3],
  ] as const) {
    const created = await call(service.url, 'POST', '/api/inventory/items', {
      token: admin,
      body: { sku: sku(name), name, quantity, lowStockThreshold: 5, price: '1.00' },
    });
    expect(created.status).toBe(201);
  }
});

afterAll(async () => {
  await runtime?.stop();
  await service?.stop();
  await Promise.all([inventoryDb?.drop(), ordersDb?.drop()]);
});

async function runSaga(items: Array<{ sku: string; quantity: number }>, failAfterReserve = false) {
  const orderId = uuidv7();
  const sagaId = await runtime.begin(ordersDb.pool, saga, { orderId, items, failAfterReserve });
  const ended = await eventually(
    () => getSaga(ordersDb.pool, sagaId),
    (details) => details.status === 'COMPLETED' || details.status === 'COMPENSATED',
    30_000,
    `saga ${sagaId} to end`,
  );
  return { orderId, sagaId, saga: ended };
}

async function eventsOf(orderId: string): Promise<Array<{ type: string; payload: unknown }>> {
  const { rows } = await inventoryDb.pool.query<{ type: string; payload: unknown }>(
    `select type, payload from outbox where aggregateid = $1 order by seq`,
    [orderId],
  );
  return rows;
}

async function stock(name: string) {
  return (await call(service.url, 'GET', `/api/inventory/items/${sku(name)}`)).body;
}

it('reserves for a saga that completes, writing inventory.reserved and inventory.low-stock', async () => {
  const { orderId, saga: ended } = await runSaga([
    { sku: sku('a'), quantity: 6 },
    { sku: sku('b'), quantity: 1 },
  ]);
  expect(ended.status).toBe('COMPLETED');
  const reservations = await call(
    service.url,
    'GET',
    `/api/inventory/reservations?orderId=${orderId}`,
  );
  expect(reservations.body['items']).toEqual([
    expect.objectContaining({
      status: 'RESERVED',
      id: (ended.data as { reservationId: string }).reservationId,
    }),
  ]);
  expect(await eventsOf(orderId)).toEqual([
    {
      type: 'inventory.reserved',
      payload: expect.objectContaining({ orderId }) as unknown,
    },
  ]);
  // a: 10 → 4 available, crossing its threshold of 5.
  const { rows } = await inventoryDb.pool.query<{ payload: unknown }>(
    `select payload from outbox where type = 'inventory.low-stock'`,
  );
  expect(rows.map((row) => row.payload)).toContainEqual({
    sku: sku('a'),
    available: 4,
    threshold: 5,
  });
  expect(await stock('a')).toMatchObject({ reserved: 6, available: 4 });
});

it('refuses a shortage: the saga compensates with the reason, nothing is reserved, inventory.reservation.failed is written', async () => {
  const before = await stock('b');
  const { orderId, saga: ended } = await runSaga([
    { sku: sku('a'), quantity: 1 },
    { sku: sku('b'), quantity: 50 },
  ]);
  expect(ended.status).toBe('COMPENSATED');
  expect(ended.error).toContain(`insufficient stock of ${sku('b')}`);
  expect(await eventsOf(orderId)).toEqual([
    {
      type: 'inventory.reservation.failed',
      payload: { orderId, reason: `insufficient stock of ${sku('b')}` },
    },
  ]);
  const reservations = await call(
    service.url,
    'GET',
    `/api/inventory/reservations?orderId=${orderId}`,
  );
  expect(reservations.body['total']).toBe(0);
  expect(await stock('b')).toEqual(before);
});

it('releases the reservation once when a later step fails', async () => {
  const before = await stock('a');
  const { orderId, saga: ended } = await runSaga([{ sku: sku('a'), quantity: 2 }], true);
  expect(ended.status).toBe('COMPENSATED');
  expect(ended.error).toContain('payment declined');
  const events = await eventsOf(orderId);
  expect(events.map((event) => event.type)).toEqual(['inventory.reserved', 'inventory.released']);
  const reservations = await call(
    service.url,
    'GET',
    `/api/inventory/reservations?orderId=${orderId}`,
  );
  expect(reservations.body['items']).toEqual([expect.objectContaining({ status: 'RELEASED' })]);
  expect(await stock('a')).toMatchObject({
    reserved: before['reserved'],
    available: before['available'],
  });
});

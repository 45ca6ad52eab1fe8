/**
 * event-relay-service with its Debezium connectors on the real stack: it registers both, relays
 * the other services' outboxes as rows arrive, turns order changes into order.created /
 * order.status.updated (once each, through its own outbox), reports the connectors in health
 * and stats, and replays a dead-lettered change record.
 */
import { createOutbox } from '@trackops/outbox';
import {
  collectRecords,
  deleteConnector,
  stackEndpoints,
  testKafka,
  uniqueName,
} from '@trackops/testkit';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { InventoryReleased } from '../../src/shared/contracts.js';
import {
  startEventRelayService,
  type RunningService,
} from '../../src/event-relay-service/service.js';
import { call, eventually, testConfig, tokens } from '../inventory-service/support.js';
import { relayDatabases, type RelayFixture } from './fixtures.js';

const prefix = uniqueName('relay_cdc');
const connectors = { orders: `${prefix}-orders`, inventory: `${prefix}-inventory` };
const ordersTopic = `${prefix}_orders.public.orders`;
let fixture: RelayFixture;
let service: RunningService;
let admin: string;
const kafka = () => testKafka(stackEndpoints().KAFKA_BROKERS);

beforeAll(async () => {
  fixture = await relayDatabases(prefix);
  const config = testConfig('event-relay-service');
  ({ admin } = await tokens(config));
  service = await startEventRelayService(config, {
    database: fixture.own.name,
    connectors: {
      orders: {
        name: connectors.orders,
        database: fixture.orders.name,
        topicPrefix: `${prefix}_orders`,
      },
      inventory: {
        name: connectors.inventory,
        database: fixture.inventory.name,
        topicPrefix: `${prefix}_inventory`,
      },
    },
    topicTemplate: `${prefix}.\${routedByValue}`,
    cdcGroupId: `${prefix}-cdc`,
  });
});

afterAll(async () => {
  await service?.stop();
  const connectUrl = stackEndpoints().CONNECT_URL;
  await Promise.all(Object.values(connectors).map((name) => deleteConnector(connectUrl, name)));
  await fixture?.drop();
});

it('registers both connectors and reports them RUNNING in health and stats', async () => {
  const health = await call(service.url, 'GET', '/actuator/health');
  expect(health.status).toBe(200);
  expect(health.body).toMatchObject({
    status: 'UP',
    components: {
      postgres: { status: 'UP' },
      kafka: { status: 'UP' },
      redis: { status: 'UP' },
      debezium: {
        status: 'UP',
        details: {
          connectors: { [connectors.orders]: 'RUNNING', [connectors.inventory]: 'RUNNING' },
        },
      },
    },
  });
  const stats = await call(service.url, 'GET', '/api/events/stats');
  expect(stats.body['connectors']).toEqual({
    [connectors.orders]: 'RUNNING',
    [connectors.inventory]: 'RUNNING',
  });
});

it('turns order changes into order.created and order.status.updated, once each', async () => {
  const orderId = uuidv7();
  const orders = fixture.orders.pool;
  await orders.query(
    `insert into orders (id, customer_id, status, total_amount) values ($1, 'c-1', 'PENDING', 19.9)`,
    [orderId],
  );
  await orders.query(`update orders set status = 'CONFIRMED' where id = $1`, [orderId]);
  // A change of another column is no status change.
  await orders.query(`update orders set shipping_address = 'Main St 1' where id = $1`, [orderId]);
  await orders.query(
    `update orders set status = 'CANCELLED', cancellation_reason = 'changed my mind' where id = $1`,
    [orderId],
  );
  const records = await collectRecords(kafka(), {
    topics: [`${prefix}.order.created`, `${prefix}.order.status.updated`],
    until: (seen) => seen.filter((record) => record.key === orderId).length >= 3,
    timeoutMs: 30_000,
  });
  const on = (topic: string) =>
    records
      .filter((record) => record.key === orderId && record.topic === `${prefix}.${topic}`)
      .map((record) => JSON.parse(record.value!) as unknown);
  expect(on('order.created')).toEqual([
    { orderId, customerId: 'c-1', status: 'PENDING', totalAmount: '19.90' },
  ]);
  // In commit order (one key, one partition).
  expect(on('order.status.updated')).toEqual([
    { orderId, from: 'PENDING', to: 'CONFIRMED', reason: null },
    { orderId, from: 'CONFIRMED', to: 'CANCELLED', reason: 'changed my mind' },
  ]);
  const { rows } = await fixture.own.pool.query<{ n: number }>(
    `select count(*)::int as n from outbox where aggregateid = $1`,
    [orderId],
  );
  expect(rows[0]!.n).toBe(3);
});

it('emits nothing for a change record delivered twice', async () => {
  const orderId = uuidv7();
  const orders = fixture.orders.pool;
  await orders.query(
    `insert into orders (id, customer_id, status, total_amount) values ($1, 'c-2', 'PENDING', 5)`,
    [orderId],
  );
  const [change] = (
    await collectRecords(kafka(), {
      topics: [ordersTopic],
      until: (seen) => seen.some((record) => record.key?.includes(orderId) === true),
      timeoutMs: 20_000,
    })
  ).filter((record) => record.key?.includes(orderId) === true);
  // The same record again, as a connector restart or a redelivery would bring it.
  const producer = kafka().producer();
  await producer.connect();
  await producer.send({
    topic: ordersTopic,
    messages: [{ key: change!.key, value: change!.value }],
  });
  await producer.disconnect();
  // A later change of the same row (same partition) shows the duplicate was handled first.
  await orders.query(`update orders set status = 'CONFIRMED' where id = $1`, [orderId]);
  await collectRecords(kafka(), {
    topics: [`${prefix}.order.status.updated`],
    until: (seen) => seen.some((record) => record.key === orderId),
    timeoutMs: 20_000,
  });
  const { rows } = await fixture.own.pool.query<{ type: string }>(
    `select type from outbox where aggregateid = $1 order by seq`,
    [orderId],
  );
  expect(rows.map((row) => row.type)).toEqual(['order.created', 'order.status.updated']);
});

it('relays the inventory outbox as rows commit', async () => {
  const orderId = uuidv7();
  const [id] = await createOutbox().enqueue(
    fixture.inventory.pool,
    InventoryReleased.create({
      aggregateId: orderId,
      payload: { orderId, reservationId: uuidv7() },
    }),
  );
  const records = await collectRecords(kafka(), {
    topics: [`${prefix}.inventory.released`],
    until: (seen) => seen.some((record) => record.headers['id'] === id),
    timeoutMs: 20_000,
  });
  expect(records.find((record) => record.headers['id'] === id)?.key).toBe(orderId);
});

it('dead-letters a change it cannot read and replays it from the DLQ on request', async () => {
  const producer = kafka().producer();
  await producer.connect();
  await producer.send({
    topic: ordersTopic,
    messages: [{ key: '{"id":"poison"}', value: '{"not":"a debezium record"' }],
  });
  await producer.disconnect();
  const dlq = `${ordersTopic}.dlq`;
  await collectRecords(kafka(), {
    topics: [dlq],
    until: (seen) => seen.length >= 1,
    timeoutMs: 20_000,
  });

  const replay = await call(service.url, 'POST', '/api/events/dlq/replay', {
    token: admin,
    body: { topic: dlq },
  });
  expect(replay.body).toEqual({ replayed: 1, skipped: 0 });
  // Still unreadable: dead-lettered again, now marked as replayed.
  const again = await collectRecords(kafka(), {
    topics: [dlq],
    until: (seen) => seen.length >= 2,
    timeoutMs: 20_000,
  });
  expect(again[1]?.headers['dlq-replayed-from']).toMatch(
    new RegExp(`^${dlq.replaceAll('.', '\\.')}:0:0$`),
  );
  const second = await eventually(
    () =>
      call(service.url, 'POST', '/api/events/dlq/replay', { token: admin, body: { topic: dlq } }),
    (reply) => reply.status === 200,
  );
  // The first replay's progress is committed: only the new dead letter is replayed.
  expect(second.body).toEqual({ replayed: 1, skipped: 0 });
});

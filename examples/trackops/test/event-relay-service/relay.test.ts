/**
 * event-relay-service's outbox operations on the real stack, with its relays slowed down (no
 * NOTIFY, a long poll) so rows wait until the API publishes them: unprocessed, process one,
 * process all, stats, dead rows and their replay, validation and auth. The connectors are not
 * registered here (cdc.test.ts does that).
 */
import { createOutbox } from '@trackops/outbox';
import { collectRecords, stackEndpoints, testKafka, uniqueName } from '@trackops/testkit';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InventoryReserved, OrderCancelled } from '../../src/shared/contracts.js';
import {
  startEventRelayService,
  type RunningService,
} from '../../src/event-relay-service/service.js';
import { call, testConfig, tokens } from '../inventory-service/support.js';
import { relayDatabases, type RelayFixture } from './fixtures.js';

const prefix = uniqueName('relay_api');
const outbox = createOutbox();
let fixture: RelayFixture;
let service: RunningService;
let admin: string;
let customer: string;

const get = (path: string) => call(service.url, 'GET', path);
/** `token: null` sends no Authorization header. */
const post = (path: string, body: unknown, token: string | null = admin) =>
  call(service.url, 'POST', path, { body, ...(token === null ? {} : { token }) });

beforeAll(async () => {
  fixture = await relayDatabases(prefix);
  const config = testConfig('event-relay-service');
  ({ admin, customer } = await tokens(config));
  service = await startEventRelayService(config, {
    database: fixture.own.name,
    connectors: {
      orders: {
        name: `${prefix}-orders`,
        database: fixture.orders.name,
        topicPrefix: `${prefix}_orders`,
      },
      inventory: {
        name: `${prefix}-inventory`,
        database: fixture.inventory.name,
        topicPrefix: `${prefix}_inventory`,
      },
    },
    registerConnectors: false,
    topicTemplate: `${prefix}.\${routedByValue}`,
    relay: { listen: false, pollIntervalMs: 600_000, maxAttempts: 1 },
    cdcGroupId: `${prefix}-cdc`,
  });
});

afterAll(async () => {
  await service?.stop();
  await fixture?.drop();
});

async function cancelled(orderId: string): Promise<string> {
  const [id] = await outbox.enqueue(
    fixture.orders.pool,
    OrderCancelled.create({ aggregateId: orderId, payload: { orderId, reason: 'test' } }),
  );
  return id!;
}

describe('unprocessed rows', () => {
  it('lists them, publishes one on request, then all, to topics named by the event type', async () => {
    const orderId = uuidv7();
    const first = await cancelled(orderId);
    const second = await cancelled(orderId);
    const reservationId = uuidv7();
    await outbox.enqueue(
      fixture.inventory.pool,
      InventoryReserved.create({
        aggregateId: orderId,
        payload: { orderId, reservationId, items: [{ sku: 'SKU-1', quantity: 1 }] },
      }),
    );

    const listed = await get('/api/events/unprocessed?source=orders');
    expect(listed.status).toBe(200);
    expect(listed.body['items']).toEqual([
      expect.objectContaining({
        source: 'orders',
        id: first,
        type: 'ORDER_CANCELLED',
        aggregateId: orderId,
        attempts: 0,
        lastError: null,
      }),
      expect.objectContaining({ id: second }),
    ]);
    expect((await get('/api/events/unprocessed')).body['items']).toContainEqual(
      expect.objectContaining({ source: 'inventory', type: 'inventory.reserved' }),
    );
    const stats = await get('/api/events/stats');
    expect(stats.body).toMatchObject({
      sources: { orders: { backlog: 2 }, inventory: { backlog: 1 }, event_relay: { backlog: 0 } },
      connectors: { [`${prefix}-orders`]: 'NOT_REGISTERED' },
    });

    // "Process one" runs a relay cycle: it publishes the row, and whatever else is due with it.
    const one = await post('/api/events/process', { source: 'orders', id: first });
    expect(one.body).toEqual({ published: true });
    const all = await post('/api/events/process-all', {});
    expect(all.status).toBe(200);
    expect(all.body['published']).toBeGreaterThanOrEqual(1);
    expect((await get('/api/events/unprocessed')).body['items']).toEqual([]);
    expect((await post('/api/events/process', { source: 'orders', id: second })).body).toEqual({
      published: true,
    });

    const records = await collectRecords(testKafka(stackEndpoints().KAFKA_BROKERS), {
      topics: [`${prefix}.ORDER_CANCELLED`, `${prefix}.inventory.reserved`],
      until: (seen) => seen.length >= 3,
      timeoutMs: 20_000,
    });
    const cancellations = records.filter((record) => record.topic === `${prefix}.ORDER_CANCELLED`);
    expect(cancellations.map((record) => record.headers['id'])).toEqual([first, second]);
    expect(cancellations[0]).toMatchObject({ key: orderId, headers: { type: 'ORDER_CANCELLED' } });
    expect(JSON.parse(cancellations[0]!.value!)).toEqual({ orderId, reason: 'test' });
    expect(records.find((record) => record.topic === `${prefix}.inventory.reserved`)?.key).toBe(
      orderId,
    );
  });
});

describe('dead rows', () => {
  it('lists a row that failed its attempts and publishes it after the fix and a replay', async () => {
    // An event type that is no legal topic name: a record-level failure, charged to its row.
    const [id] = await outbox.enqueue(fixture.orders.pool, {
      aggregateType: 'order',
      aggregateId: uuidv7(),
      type: 'not a topic!',
      payload: { broken: true },
    });
    const attempt = await post('/api/events/process', { source: 'orders', id });
    expect(attempt.body).toMatchObject({ published: false, attempts: 1 });
    const dead = await get('/api/events/dead?source=orders');
    expect(dead.body['items']).toEqual([
      expect.objectContaining({ source: 'orders', id, type: 'not a topic!', attempts: 1 }),
    ]);
    expect((await post('/api/events/process', { source: 'orders', id })).status).toBe(409);

    // The operator fixes the cause, then replays.
    await fixture.orders.pool.query(`update outbox set type = 'ORDER_FIXED' where id = $1`, [id]);
    expect((await post('/api/events/dead/replay', { source: 'orders', ids: [id] })).body).toEqual({
      replayed: 1,
    });
    expect((await get('/api/events/dead?source=orders')).body['items']).toEqual([]);
    expect((await post('/api/events/process', { source: 'orders', id })).body).toEqual({
      published: true,
    });
    const records = await collectRecords(testKafka(stackEndpoints().KAFKA_BROKERS), {
      topics: [`${prefix}.ORDER_FIXED`],
      until: (seen) => seen.length >= 1,
      timeoutMs: 20_000,
    });
    expect(records[0]?.headers['id']).toBe(id);
  });
});

describe('the API', () => {
  it('names the bad field with 400', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['/api/events/process', { source: 'orders', id: 'nope' }, 'body.id'],
      ['/api/events/process', { source: 'elsewhere', id: uuidv7() }, 'body.source'],
      ['/api/events/dead/replay', { source: 'orders', ids: ['x'] }, 'body.ids.0'],
      ['/api/events/dlq/replay', { topic: 'orders' }, 'body.topic'],
    ];
    for (const [path, body, field] of cases) {
      const reply = await post(path, body);
      expect(reply.status, field).toBe(400);
      expect(reply.body['field']).toBe(field);
    }
    expect((await get('/api/events/unprocessed?source=x')).body['field']).toBe('query.source');
  });

  it('answers 404 for an unknown row or dead-letter topic', async () => {
    expect((await post('/api/events/process', { source: 'inventory', id: uuidv7() })).status).toBe(
      404,
    );
    expect((await post('/api/events/dlq/replay', { topic: `${prefix}.nothing.dlq` })).status).toBe(
      404,
    );
  });

  it('needs an admin token for writes', async () => {
    expect((await post('/api/events/process-all', {}, null)).status).toBe(401);
    expect((await post('/api/events/process-all', {}, customer)).status).toBe(403);
  });

  it('exports the relays’ metrics, one prefix per source', async () => {
    const metrics = await get('/actuator/prometheus');
    for (const source of ['orders', 'inventory', 'event_relay']) {
      expect(metrics.text).toContain(`trackops_outbox_${source}_published_total`);
      expect(metrics.text).toContain(`trackops_outbox_${source}_backlog`);
    }
    expect(metrics.text).toMatch(/trackops_outbox_orders_published_total \d+/);
  });
});

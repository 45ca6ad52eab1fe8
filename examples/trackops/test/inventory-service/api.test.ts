/**
 * inventory-service over HTTP on the real stack: items, reservations, validation, auth, the
 * events written to its outbox, health, metrics, cache stats, and reads with Redis unreachable.
 */
import {
  createTestDatabase,
  stackEndpoints,
  uniqueName,
  type TestDatabase,
} from '@trackops/testkit';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../../src/shared/config.js';
import { startInventoryService, type RunningService } from '../../src/inventory-service/service.js';
import { call, testConfig, tokens } from './support.js';

let db: TestDatabase;
let config: ServiceConfig;
let service: RunningService;
let admin: string;
let customer: string;
const prefix = uniqueName('inv_api');
const sku = (name: string) => `${name}-${prefix.slice(-10)}`.toUpperCase();

function options() {
  return {
    database: db.name,
    commandTopic: `${prefix}.inventory.commands`,
    participantGroupId: `${prefix}-participant`,
    cdcTopicPrefix: `${prefix}_cdc`,
    cacheGroupId: `${prefix}-cache`,
    cacheKeyPrefix: `${prefix}:`,
    connectorName: `${prefix}-connector`,
  };
}

async function outboxEvents(type: string): Promise<Array<Record<string, unknown>>> {
  const { rows } = await db.pool.query<{ payload: Record<string, unknown> }>(
    'select payload from outbox where type = $1 order by seq',
    [type],
  );
  return rows.map((row) => row.payload);
}

async function countRows(table: 'inventory_items' | 'reservations' | 'outbox'): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(`select count(*)::int as n from ${table}`);
  return rows[0]!.n;
}

const get = (path: string) => call(service.url, 'GET', path);
const write = (method: string, path: string, body?: unknown, token = admin) =>
  call(service.url, method, path, { body, token });

beforeAll(async () => {
  db = await createTestDatabase(stackEndpoints().DATABASE_URL, 'inv_api');
  config = testConfig('inventory-service');
  ({ admin, customer } = await tokens(config));
  service = await startInventoryService(config, options());
});

afterAll(async () => {
  await service?.stop();
  await db?.drop();
});

describe('items', () => {
  it('creates, reads by id and by sku, lists, updates and deletes an item', async () => {
    const created = await write('POST', '/api/inventory/items', {
      sku: sku('crud'),
      name: 'Widget',
      quantity: 50,
      price: '19.90',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      sku: sku('crud'),
      name: 'Widget',
      quantity: 50,
      reserved: 0,
      available: 50,
      lowStockThreshold: 10,
      price: '19.90',
    });
    const id = created.body['id'] as string;

    expect((await get(`/api/inventory/items/${id}`)).body).toEqual(created.body);
    expect((await get(`/api/inventory/items/${sku('crud')}`)).body).toEqual(created.body);
    const list = await get('/api/inventory/items?page=0&size=100');
    expect(list.body).toMatchObject({ page: 0, size: 100 });
    expect(list.body['items']).toContainEqual(created.body);

    const updated = await write('PUT', `/api/inventory/items/${id}`, {
      name: 'Widget 2',
      price: '5',
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: 'Widget 2', price: '5.00', quantity: 50 });
    // The API's own write is visible at once (it invalidates; CDC would follow anyway).
    expect((await get(`/api/inventory/items/${id}`)).body).toMatchObject({ name: 'Widget 2' });

    expect((await write('DELETE', `/api/inventory/items/${id}`)).status).toBe(204);
    expect((await get(`/api/inventory/items/${id}`)).status).toBe(404);
    expect((await write('DELETE', `/api/inventory/items/${id}`)).status).toBe(404);
  });

  it('refuses a duplicate sku with 409', async () => {
    const body = { sku: sku('dup'), name: 'Dup', quantity: 1, price: '1.00' };
    expect((await write('POST', '/api/inventory/items', body)).status).toBe(201);
    const again = await write('POST', '/api/inventory/items', body);
    expect(again.status).toBe(409);
    expect(again.body['message']).toContain(sku('dup'));
  });

  it('names the bad field with 400 and writes nothing', async () => {
    const before = await countRows('inventory_items');
    const cases: Array<[unknown, string]> = [
      [{ sku: sku('bad'), name: 'x', quantity: -1, price: '1.00' }, 'body.quantity'],
      [{ sku: sku('bad'), name: 'x', quantity: 1, price: '1.234' }, 'body.price'],
      [{ sku: 'no spaces allowed', name: 'x', quantity: 1, price: '1.00' }, 'body.sku'],
      [{ sku: sku('bad'), name: '', quantity: 1, price: '1.00' }, 'body.name'],
    ];
    for (const [body, field] of cases) {
      const reply = await write('POST', '/api/inventory/items', body);
      expect(reply.status, field).toBe(400);
      expect(reply.body['field']).toBe(field);
    }
    expect((await get('/api/inventory/items/not%20a%20sku')).body['field']).toBe('params.id');
    expect((await get('/api/inventory/items?size=0')).body['field']).toBe('query.size');
    const reservation = await write('POST', '/api/inventory/reservations', {
      orderId: 'not-a-uuid',
      items: [{ sku: sku('bad'), quantity: 1 }],
    });
    expect(reservation.body['field']).toBe('body.orderId');
    expect(await countRows('inventory_items')).toBe(before);
  });

  it('needs an admin token for writes: 401 without or with a bad one, 403 for a customer', async () => {
    const body = { sku: sku('auth'), name: 'Auth', quantity: 1, price: '1.00' };
    expect((await call(service.url, 'POST', '/api/inventory/items', { body })).status).toBe(401);
    expect((await write('POST', '/api/inventory/items', body, 'not.a.jwt')).status).toBe(401);
    const forbidden = await write('POST', '/api/inventory/items', body, customer);
    expect(forbidden.status).toBe(403);
    expect((await get(`/api/inventory/items/${sku('auth')}`)).status).toBe(404);
  });

  it('writes inventory.low-stock when an update takes availability to the threshold', async () => {
    await write('POST', '/api/inventory/items', {
      sku: sku('low'),
      name: 'Low',
      quantity: 20,
      lowStockThreshold: 10,
      price: '2.50',
    });
    await write('PUT', `/api/inventory/items/${sku('low')}`, { quantity: 15 });
    expect(await outboxEvents('inventory.low-stock')).not.toContainEqual(
      expect.objectContaining({ sku: sku('low') }),
    );
    await write('PUT', `/api/inventory/items/${sku('low')}`, { quantity: 10 });
    // Once per crossing: a further drop of an item already low writes nothing more.
    await write('PUT', `/api/inventory/items/${sku('low')}`, { quantity: 8 });
    const events = (await outboxEvents('inventory.low-stock')).filter(
      (event) => event['sku'] === sku('low'),
    );
    expect(events).toEqual([{ sku: sku('low'), available: 10, threshold: 10 }]);
    const health = await get('/api/inventory/health');
    expect(health.body['lowStock']).toContainEqual({
      sku: sku('low'),
      available: 8,
      threshold: 10,
    });
  });
});

describe('reservations', () => {
  it('reserves all items or none, idempotently per order, and refuses a shortage with 409', async () => {
    for (const [name, quantity] of [
      ['ra', 5],
      ['rb', 3],
    ] as const) {
      await write('POST', '/api/inventory/items', {
        sku: sku(name),
        name,
        quantity,
        lowStockThreshold: 1,
        price: '1.00',
      });
    }
    const orderId = uuidv7();
    const request = {
      orderId,
      items: [
        { sku: sku('ra'), quantity: 2 },
        { sku: sku('rb'), quantity: 2 },
      ],
    };
    const reserved = await write('POST', '/api/inventory/reservations', request);
    expect(reserved.status).toBe(201);
    expect(reserved.body).toMatchObject({ orderId, status: 'RESERVED', items: request.items });
    const again = await write('POST', '/api/inventory/reservations', request);
    expect(again.status).toBe(200);
    expect(again.body['id']).toBe(reserved.body['id']);
    expect((await get(`/api/inventory/items/${sku('rb')}`)).body).toMatchObject({
      quantity: 3,
      reserved: 2,
      available: 1,
    });

    // rb has 1 left: the whole reservation is refused, ra keeps its stock.
    const short = await write('POST', '/api/inventory/reservations', {
      orderId: uuidv7(),
      items: [
        { sku: sku('ra'), quantity: 1 },
        { sku: sku('rb'), quantity: 2 },
      ],
    });
    expect(short.status).toBe(409);
    expect(short.body['message']).toBe(`insufficient stock of ${sku('rb')}`);
    expect((await get(`/api/inventory/items/${sku('ra')}`)).body).toMatchObject({ reserved: 2 });

    expect(await outboxEvents('inventory.reserved')).toContainEqual({
      orderId,
      reservationId: reserved.body['id'],
      items: request.items,
    });
    expect(await outboxEvents('inventory.reservation.failed')).toContainEqual(
      expect.objectContaining({ reason: `insufficient stock of ${sku('rb')}` }),
    );
    // rb went from 3 available (above its threshold of 1) to 1.
    expect(await outboxEvents('inventory.low-stock')).toContainEqual({
      sku: sku('rb'),
      available: 1,
      threshold: 1,
    });

    // The caller's correlation id travels with the events of its request.
    const correlated = uuidv7();
    await call(service.url, 'POST', '/api/inventory/reservations', {
      token: admin,
      headers: { 'x-correlation-id': 'trace-me-123' },
      body: { orderId: correlated, items: [{ sku: sku('ra'), quantity: 1 }] },
    });
    const { rows } = await db.pool.query<{ correlation_id: string }>(
      `select correlation_id from outbox where aggregateid = $1 and type = 'inventory.reserved'`,
      [correlated],
    );
    expect(rows).toEqual([{ correlation_id: 'trace-me-123' }]);

    const listed = await get(`/api/inventory/reservations?orderId=${orderId}`);
    expect(listed.body).toMatchObject({ total: 1, items: [{ id: reserved.body['id'] }] });
    expect((await write('DELETE', `/api/inventory/items/${sku('ra')}`)).status).toBe(409);
    expect((await get(`/api/inventory/items/${sku('ra')}`)).body).toMatchObject({ reserved: 3 });
  });
});

describe('operations', () => {
  it('serves health, metrics, cache stats, the stock summary and the OpenAPI document', async () => {
    const health = await get('/actuator/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'UP',
      components: {
        postgres: { status: 'UP' },
        kafka: { status: 'UP' },
        redis: { status: 'UP' },
        debezium: {
          status: 'UP',
          details: { connectors: { [options().connectorName]: 'NOT_REGISTERED' } },
        },
      },
    });
    const cache = await get('/actuator/cache');
    expect(cache.body).toMatchObject({
      caches: { inventory: { hits: expect.any(Number) as number } },
    });
    const metrics = await get('/actuator/prometheus');
    expect(metrics.text).toContain('trackops_inventory_cache{namespace="inventory",stat="hits"}');
    const summary = await get('/api/inventory/health');
    expect(summary.body).toMatchObject({
      items: expect.any(Number) as number,
      reserved: expect.any(Number) as number,
    });
    const openapi = await get('/openapi.json');
    expect(Object.keys(openapi.body['paths'] as object)).toEqual(
      expect.arrayContaining(['/api/inventory/items', '/api/inventory/reservations']),
    );
    expect(health.headers.get('x-correlation-id')).toBeTruthy();
  });

  it('answers reads from the database when Redis is unreachable', async () => {
    const item = await write('POST', '/api/inventory/items', {
      sku: sku('noredis'),
      name: 'No Redis',
      quantity: 4,
      price: '1.00',
    });
    const degraded = await startInventoryService(
      testConfig('inventory-service', { REDIS_URL: 'redis://127.0.0.1:1' }),
      {
        ...options(),
        participantGroupId: `${prefix}-participant-2`,
        cacheGroupId: `${prefix}-cache-2`,
      },
    );
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const read = await call(degraded.url, 'GET', `/api/inventory/items/${sku('noredis')}`);
        expect(read.status).toBe(200);
        expect(read.body).toEqual(item.body);
      }
      expect((await call(degraded.url, 'GET', '/api/inventory/items')).status).toBe(200);
      const health = await call(degraded.url, 'GET', '/actuator/health');
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({
        status: 'DOWN',
        components: { redis: { status: 'DOWN' } },
      });
    } finally {
      await degraded.stop();
    }
  });
});

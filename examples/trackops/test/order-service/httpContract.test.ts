/**
 * The HTTP contract of the order-service (API.md): validation names the field and writes
 * nothing, writes need the right role, reads are served through the CDC-kept cache, and the
 * actuator endpoints answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order, OrderPage } from '../../src/order-service/model.js';
import { eventually, startDeployment, type Deployment } from './deployment.js';

let deployment: Deployment;

beforeAll(async () => {
  deployment = await startDeployment({ connector: true });
});

afterAll(async () => {
  await deployment?.stop();
});

const validBody = {
  customerId: 'ivan',
  items: [{ sku: 'WIDGET-1', quantity: 1, unitPrice: '1.00' }],
};

async function counts(): Promise<{ orders: number; items: number; outbox: number }> {
  const { rows } = await deployment.db.pool.query<{
    orders: number;
    items: number;
    outbox: number;
  }>(
    `select (select count(*)::int from orders) as orders,
            (select count(*)::int from order_items) as items,
            (select count(*)::int from outbox) as outbox`,
  );
  return rows[0]!;
}

async function placed(customerId: string): Promise<Order> {
  const response = await deployment.call<Order>('POST', '/api/orders', {
    token: deployment.tokens.customer,
    body: { ...validBody, customerId },
  });
  expect(response.status).toBe(201);
  return (
    await eventually(
      () => deployment.call<Order>('GET', `/api/orders/${response.body.id}`),
      (read) => read.body.status === 'CONFIRMED',
    )
  ).body;
}

describe('order-service: validation and authorization', () => {
  const cases: Array<[string, unknown, string]> = [
    [
      'a quantity out of range',
      { ...validBody, items: [{ ...validBody.items[0], quantity: 0 }] },
      'body.items.0.quantity',
    ],
    [
      'a float amount',
      { ...validBody, items: [{ ...validBody.items[0], unitPrice: 1.5 }] },
      'body.items.0.unitPrice',
    ],
    [
      'three decimals',
      { ...validBody, items: [{ ...validBody.items[0], unitPrice: '1.005' }] },
      'body.items.0.unitPrice',
    ],
    [
      'a bad sku',
      { ...validBody, items: [{ ...validBody.items[0], sku: 'no spaces' }] },
      'body.items.0.sku',
    ],
    ['no items', { ...validBody, items: [] }, 'body.items'],
    [
      '51 items',
      { ...validBody, items: Array.from({ length: 51 }, () => validBody.items[0]) },
      'body.items',
    ],
    ['no customer', { items: validBody.items }, 'body.customerId'],
    [
      'a customer id of 65 characters',
      { ...validBody, customerId: 'c'.repeat(65) },
      'body.customerId',
    ],
    [
      'a string quantity',
      { ...validBody, items: [{ ...validBody.items[0], quantity: '2' }] },
      'body.items.0.quantity',
    ],
    ['a long address', { ...validBody, shippingAddress: 'a'.repeat(501) }, 'body.shippingAddress'],
    [
      'a total beyond 10 digits',
      { ...validBody, items: [{ sku: 'BIG', quantity: 1000, unitPrice: '9999999999.99' }] },
      'body.items',
    ],
  ];
  it.each(cases)(
    'refuses %s with 400 naming the field, writing nothing',
    async (_what, body, field) => {
      const before = await counts();
      const response = await deployment.call<{ statusCode: number; field: string }>(
        'POST',
        '/api/orders',
        { token: deployment.tokens.customer, body },
      );
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request', field });
      expect(await counts()).toEqual(before);
    },
  );

  it('refuses a bad Idempotency-Key header, naming it', async () => {
    const response = await deployment.call('POST', '/api/orders', {
      token: deployment.tokens.customer,
      body: validBody,
      headers: { 'idempotency-key': 'has spaces' },
    });
    expect(response).toMatchObject({ status: 400, body: { field: 'headers.idempotency-key' } });
  });

  it('refuses writes without a token (401), with a bad one (401), or the wrong role (403)', async () => {
    const before = await counts();
    const missing = await deployment.call('POST', '/api/orders', { body: validBody });
    expect(missing.status).toBe(401);
    // Authentication comes before validation: no schema details for an anonymous caller.
    const missingBadBody = await deployment.call('POST', '/api/orders', { body: { nope: 1 } });
    expect(missingBadBody.status).toBe(401);
    const forged = await deployment.call('POST', '/api/orders', {
      body: validBody,
      token: `${deployment.tokens.customer}x`,
    });
    expect(forged.status).toBe(401);
    const order = await placed('judy');
    const wrongRole = await deployment.call('PUT', `/api/orders/${order.id}/status`, {
      body: { status: 'SHIPPED' },
      token: deployment.tokens.customer,
    });
    expect(wrongRole.status).toBe(403);
    const flush = await deployment.call('DELETE', '/actuator/cache', {
      token: deployment.tokens.customer,
    });
    expect(flush.status).toBe(403);
    const after = await counts();
    expect(after.orders).toBe(before.orders + 1);
  });

  it('answers 400 for bad params and queries, 404 for unknown orders and sagas', async () => {
    expect(await deployment.call('GET', '/api/orders/not-a-uuid')).toMatchObject({
      status: 400,
      body: { field: 'params.id' },
    });
    expect(await deployment.call('GET', '/api/orders?size=101')).toMatchObject({
      status: 400,
      body: { field: 'query.size' },
    });
    expect(await deployment.call('GET', '/api/orders?status=LOST')).toMatchObject({
      status: 400,
      body: { field: 'query.status' },
    });
    const unknown = '01890000-0000-7000-8000-000000000000';
    expect((await deployment.call('GET', `/api/orders/${unknown}`)).status).toBe(404);
    expect((await deployment.call('GET', `/api/orders/${unknown}/items`)).status).toBe(404);
    expect((await deployment.call('GET', `/api/sagas/${unknown}`)).status).toBe(404);
    const cancel = await deployment.call('DELETE', `/api/orders/${unknown}`, {
      token: deployment.tokens.admin,
    });
    expect(cancel.status).toBe(404);
    const status = await deployment.call('PUT', `/api/orders/${unknown}/status`, {
      token: deployment.tokens.admin,
      body: { status: 'SHIPPED' },
    });
    expect(status.status).toBe(404);
  });
});

describe('order-service: cached reads kept fresh by the change stream', () => {
  it('shows a status changed behind its back (CDC warms the entry)', async () => {
    const order = await placed('karl');
    // Read twice: the second read is a hit.
    await deployment.call('GET', `/api/orders/${order.id}`);
    const hitsBefore = await cacheStats();
    await deployment.call('GET', `/api/orders/${order.id}`);
    expect((await cacheStats())['orders']!.hits).toBeGreaterThan(hitsBefore['orders']!.hits);

    // Another writer (not this service) changes the row: only the change stream can tell.
    await deployment.db.pool.query(
      `update orders set status = 'SHIPPED', updated_at = now() where id = $1`,
      [order.id],
    );
    const read = await eventually(
      () => deployment.call<Order>('GET', `/api/orders/${order.id}`),
      (response) => response.body.status === 'SHIPPED',
      15_000,
    );
    const { rows } = await deployment.db.pool.query<{ updated_at: Date }>(
      'select updated_at from orders where id = $1',
      [order.id],
    );
    // The warmed entry is exactly what the database read would give.
    expect(read.body.updatedAt).toBe(rows[0]!.updated_at.toISOString());
    expect(read.body.items).toEqual(order.items);
  });

  it('pages the list, filters it, and refreshes a cached page when an order changes', async () => {
    const customerId = `lena-${Date.now()}`;
    const first = await placed(customerId);
    const second = await placed(customerId);
    const path = `/api/orders?customerId=${customerId}&size=1`;
    const page0 = await deployment.call<OrderPage>('GET', path);
    expect(page0.body).toMatchObject({ page: 0, size: 1, total: 2 });
    expect(page0.body.items.map((order) => order.id)).toEqual([second.id]);
    const page1 = await deployment.call<OrderPage>('GET', `${path}&page=1`);
    expect(page1.body.items.map((order) => order.id)).toEqual([first.id]);
    const confirmed = await deployment.call<OrderPage>(
      'GET',
      `/api/orders?customerId=${customerId}&status=CONFIRMED`,
    );
    expect(confirmed.body.total).toBe(2);

    await deployment.db.pool.query(`update orders set status = 'DELIVERED' where id = $1`, [
      second.id,
    ]);
    await eventually(
      () => deployment.call<OrderPage>('GET', path),
      (response) => response.body.items[0]?.status === 'DELIVERED',
      15_000,
    );
    await eventually(
      () =>
        deployment.call<OrderPage>('GET', `/api/orders?customerId=${customerId}&status=CONFIRMED`),
      (response) => response.body.total === 1,
      15_000,
    );
  });

  it('reports cache statistics and flushes the caches (admin)', async () => {
    const stats = await deployment.call<{
      caches: Record<string, { hits: number; invalidations: number; warms: number }>;
    }>('GET', '/actuator/cache');
    expect(stats.status).toBe(200);
    expect(Object.keys(stats.body.caches).sort()).toEqual([
      'orders',
      'orders.items',
      'orders.pages',
    ]);
    // Every table's changes arrived and decoded: inserts of items invalidated their orders'
    // entries, changes of orders warmed theirs.
    expect(stats.body.caches['orders.items']!.invalidations).toBeGreaterThan(0);
    expect(stats.body.caches['orders']!.warms).toBeGreaterThan(0);
    const flushed = await deployment.call<{ flushed: Record<string, number> }>(
      'DELETE',
      '/actuator/cache',
      { token: deployment.tokens.admin },
    );
    expect(flushed.status).toBe(200);
    expect(flushed.body.flushed['orders']).toBeGreaterThan(0);
  });
});

describe('order-service: operations', () => {
  it('reports health with postgres, kafka, redis and the connector', async () => {
    const health = await deployment.call<{
      status: string;
      components: Record<string, { status: string; details?: Record<string, unknown> }>;
    }>('GET', '/actuator/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('UP');
    expect(Object.keys(health.body.components).sort()).toEqual([
      'debezium',
      'kafka',
      'postgres',
      'redis',
    ]);
    expect(health.body.components['debezium']?.details).toEqual({
      connectors: { [`${deployment.prefix}-orders`]: 'RUNNING' },
    });
  });

  it('serves Prometheus metrics, the OpenAPI document and the docs page', async () => {
    const metrics = await deployment.call<string>('GET', '/actuator/prometheus');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('trackops_saga_started_total');
    expect(metrics.body).toContain('trackops_order_cache_operations');
    expect(metrics.body).toContain('process_cpu_seconds_total');
    const openapi = await deployment.call<{ paths: Record<string, unknown> }>(
      'GET',
      '/openapi.json',
    );
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/orders',
        '/api/orders/{id}',
        '/api/orders/{id}/items',
        '/api/orders/{id}/status',
        '/api/sagas/{id}',
        '/actuator/cache',
      ]),
    );
    const docs = await deployment.call('GET', '/docs/');
    expect(docs.status).toBe(200);
  });
});

async function cacheStats(): Promise<Record<string, { hits: number }>> {
  return (
    await deployment.call<{ caches: Record<string, { hits: number }> }>('GET', '/actuator/cache')
  ).body.caches;
}

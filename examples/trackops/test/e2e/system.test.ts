/**
 * End to end over HTTP: the three services as child processes on the real stack (the demo's
 * way of running them), the scenario paths, concurrency, a crash, idempotency, bad input, and
 * finally the demo itself with --once.
 */
import { collectRecords, testKafka } from '@trackops/testkit';
import fc from 'fast-check';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type Item, type Order } from '../../src/demo/client.js';
import { residentMiB } from '../../src/demo/processes.js';
import {
  placeOrder,
  runScenario,
  settledOrder,
  type ScenarioResult,
} from '../../src/demo/scenario.js';
import type { RunningSystem } from '../../src/demo/system.js';
import { startWholeSystem, type WholeSystem } from '../support/wholeSystem.js';

const run = `e2e${Date.now().toString(36)}`;

describe('the TrackOps reference system, end to end', () => {
  let system: RunningSystem;
  let scenario: ScenarioResult;
  let whole: WholeSystem | undefined;
  const rss: Record<string, Record<string, number>> = {};

  beforeAll(async () => {
    // Other ports than the demo's defaults, so a demo left running does not get in the way.
    process.env['ORDER_SERVICE_PORT'] ??= '18081';
    process.env['INVENTORY_SERVICE_PORT'] ??= '18082';
    process.env['EVENT_RELAY_SERVICE_PORT'] ??= '18084';
    // The console test runs the same system on the same databases: one at a time.
    whole = await startWholeSystem({ LOG_LEVEL: 'info' }, 480_000);
    system = whole.system;
    rss['idle'] = residentMiB(Object.values(system.processes));
    scenario = await runScenario(system, run);
  }, 720_000);
  afterAll(async () => {
    await whole?.release();
    console.log(`service RSS (MiB): ${JSON.stringify(rss)}`);
  }, 60_000);

  it('takes the four scenario paths to the right final states, with the right events on Kafka', async () => {
    for (const order of scenario.succeeded) expect(order.status).toBe('CONFIRMED');
    expect(scenario.shortOfStock.status).toBe('CANCELLED');
    expect(scenario.shortOfStock.cancellationReason).toMatch(/insufficient stock/);
    expect(scenario.paymentDeclined.status).toBe('CANCELLED');
    expect(scenario.paymentDeclined.cancellationReason).toMatch(/card declined/);
    expect(scenario.cancelled.status).toBe('CANCELLED');

    const kafka = testKafka(system.stack.KAFKA_BROKERS);
    const ids = new Set(
      [
        ...scenario.succeeded,
        scenario.shortOfStock,
        scenario.paymentDeclined,
        scenario.cancelled,
      ].map((order) => order.id),
    );
    const mine = (value: string | null): boolean => [...ids].some((id) => value?.includes(id));
    const records = await collectRecords(kafka, {
      topics: [
        'ORDER_CREATED',
        'ORDER_CANCELLED',
        'order.created',
        'order.status.updated',
        'inventory.reserved',
        'inventory.released',
      ],
      // Every topic counted below, or a topic fetched late reads as missing records.
      until: (received) => {
        const ofTopic = (topic: string) =>
          received.filter((record) => record.topic === topic && mine(record.value)).length;
        return (
          ofTopic('order.status.updated') >= 6 &&
          ofTopic('ORDER_CREATED') >= 6 &&
          ofTopic('ORDER_CANCELLED') >= 3 &&
          ofTopic('order.created') >= 6 &&
          ofTopic('inventory.reserved') >= 5 &&
          ofTopic('inventory.released') >= 2
        );
      },
      timeoutMs: 60_000,
    });
    const count = (topic: string) =>
      records.filter((record) => record.topic === topic && mine(record.value)).length;
    expect(count('ORDER_CREATED')).toBe(6);
    expect(count('order.created')).toBe(6);
    expect(count('ORDER_CANCELLED')).toBe(3);
    // Reserved: the three successes, the declined one and the cancelled one; released: those two.
    expect(count('inventory.reserved')).toBe(5);
    expect(count('inventory.released')).toBe(2);
    expect(count('order.status.updated')).toBeGreaterThanOrEqual(6);
  });

  it('keeps stock consistent under 200 concurrent orders', async () => {
    const sku = `RUSH-${run}`;
    await system.inventory
      .withToken(system.adminToken)
      .expect<Item>(201, 'POST', '/api/inventory/items', {
        sku,
        name: 'Rush',
        quantity: 150,
        price: '1.00',
      });
    const orders = await Promise.all(
      Array.from({ length: 200 }, (_, index) => placeOrder(system, `rush-${index}-${run}`, sku, 1)),
    );
    rss['load'] = residentMiB(Object.values(system.processes));
    const settled = await Promise.all(
      orders.map((order) => settledOrder(system, order.id, 120_000)),
    );
    const confirmed = settled.filter((order) => order.status === 'CONFIRMED').length;
    expect(confirmed).toBe(150);
    expect(
      settled
        .filter((order) => order.status === 'CANCELLED')
        .every((order) => /insufficient stock/.test(order.cancellationReason ?? '')),
    ).toBe(true);
    const item = await system.inventory.expect<Item>(200, 'GET', `/api/inventory/items/${sku}`);
    expect(item).toMatchObject({ quantity: 150, reserved: 150, available: 0 });
  }, 180_000);

  it('recovers a saga after an inventory-service crash mid-saga', async () => {
    await system.processes['inventory-service'].kill();
    const order = await placeOrder(system, `crash-${run}`, scenario.skus.plenty, 1);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await system.order.expect<Order>(200, 'GET', `/api/orders/${order.id}`)).status).toBe(
      'PENDING',
    );
    await system.restart('inventory-service');
    expect((await settledOrder(system, order.id, 120_000)).status).toBe('CONFIRMED');
  }, 180_000);

  it('creates one order for a repeated Idempotency-Key', async () => {
    const key = `key-${run}`;
    const first = await placeOrder(system, `idem-${run}`, scenario.skus.plenty, 1, {
      'idempotency-key': key,
    });
    const again = await system.order.withToken(system.customerToken).call<Order>(
      'POST',
      '/api/orders',
      {
        customerId: `idem-${run}`,
        items: [{ sku: scenario.skus.plenty, quantity: 1, unitPrice: '9.90' }],
      },
      { 'idempotency-key': key },
    );
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.id);
    const list = await system.order.expect<{ total: number }>(
      200,
      'GET',
      `/api/orders?customerId=idem-${run}`,
    );
    expect(list.total).toBe(1);
  });

  it('answers bad input, wrong types and missing or wrong-role tokens with the right 4xx, writing nothing', async () => {
    const customer = system.order.withToken(system.customerToken);
    const before = (await system.order.expect<{ total: number }>(200, 'GET', '/api/orders?size=1'))
      .total;
    const bad = await customer.call<{ field?: string }>('POST', '/api/orders', {
      customerId: 'x',
      items: [{ sku: 'A', quantity: 0, unitPrice: '1.00' }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('body.items.0.quantity');
    expect((await customer.call('POST', '/api/orders', { customerId: 7, items: [] })).status).toBe(
      400,
    );
    expect((await customer.call('POST', '/api/orders', '{not json')).status).toBe(400);
    expect(
      (
        await system.order.call('POST', '/api/orders', {
          customerId: 'x',
          items: [{ sku: 'A', quantity: 1, unitPrice: '1.00' }],
        })
      ).status,
    ).toBe(401);
    expect((await system.order.withToken('not.a.jwt').call('POST', '/api/orders', {})).status).toBe(
      401,
    );
    expect(
      (
        await customer.call('PUT', `/api/orders/${scenario.succeeded[0]!.id}/status`, {
          status: 'SHIPPED',
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await system.inventory
          .withToken(system.customerToken)
          .call('POST', '/api/inventory/items', { sku: 'X', name: 'x', quantity: 1, price: '1.00' })
      ).status,
    ).toBe(403);
    expect((await system.order.call('GET', '/api/orders/not-a-uuid')).status).toBe(400);
    expect(
      (await system.order.call('GET', '/api/orders/00000000-0000-7000-8000-000000000000')).status,
    ).toBe(404);

    // Generated bodies, headers and ids at every write endpoint: never a 5xx, never a write.
    const admin = {
      order: system.order.withToken(system.adminToken),
      inventory: system.inventory.withToken(system.adminToken),
      relay: system.relay.withToken(system.adminToken),
    };
    const junk = fc.oneof(fc.jsonValue(), fc.string(), fc.constant(undefined));
    const id = fc.oneof(fc.uuid(), fc.string({ maxLength: 40 }).map(encodeURIComponent));
    const writes = fc.oneof(
      fc.record({
        client: fc.constant(admin.order),
        method: fc.constant('POST'),
        path: fc.constant('/api/orders'),
        body: junk,
      }),
      fc.record({
        client: fc.constant(admin.order),
        method: fc.constant('PUT'),
        path: id.map((value) => `/api/orders/${value}/status`),
        body: junk,
      }),
      fc.record({
        client: fc.constant(admin.order),
        method: fc.constant('DELETE'),
        path: id.map((value) => `/api/orders/${value}`),
        body: fc.constant(undefined),
      }),
      fc.record({
        client: fc.constant(admin.inventory),
        method: fc.constant('POST'),
        path: fc.constant('/api/inventory/items'),
        body: junk,
      }),
      fc.record({
        client: fc.constant(admin.inventory),
        method: fc.constant('PUT'),
        path: id.map((value) => `/api/inventory/items/${value}`),
        body: junk,
      }),
      fc.record({
        client: fc.constant(admin.inventory),
        method: fc.constant('POST'),
        path: fc.constant('/api/inventory/reservations'),
        body: junk,
      }),
      fc.record({
        client: fc.constant(admin.relay),
        method: fc.constant('POST'),
        path: fc.constant('/api/events/process'),
        body: junk,
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        writes,
        fc.string({ maxLength: 20 }),
        async ({ client, method, path, body }, key) => {
          const reply = await client.call(
            method,
            path,
            body,
            /^[A-Za-z0-9_-]{1,20}$/.test(key) ? { 'idempotency-key': key } : {},
          );
          expect(reply.status).toBeGreaterThanOrEqual(400);
          expect(reply.status).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
    expect(
      (await system.order.expect<{ total: number }>(200, 'GET', '/api/orders?size=1')).total,
    ).toBe(before);
  }, 120_000);

  it('returns the new status from a cached order read after a status change', async () => {
    const order = scenario.succeeded[1]!;
    await system.order.expect<Order>(200, 'GET', `/api/orders/${order.id}`); // cached now
    await system.order
      .withToken(system.adminToken)
      .expect<Order>(200, 'PUT', `/api/orders/${order.id}/status`, { status: 'SHIPPED' });
    expect((await system.order.expect<Order>(200, 'GET', `/api/orders/${order.id}`)).status).toBe(
      'SHIPPED',
    );
  });

  it('runs the demo with --once', async () => {
    await system.stop();
    const demo = spawn(
      process.execPath,
      [
        '--conditions=@trackops/source',
        '--import',
        'tsx',
        fileURLToPath(new URL('../../src/demo/main.ts', import.meta.url)),
        '--once',
      ],
      {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        env: process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    demo.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    demo.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await waitFor(
      () => Promise.resolve(demo.exitCode),
      (exit) => exit !== null,
      180_000,
      'the demo to exit',
    ).finally(() => demo.kill('SIGKILL'));
    expect(code, output).toBe(0);
    expect(output).toMatch(/== Orders/);
    expect(output).toMatch(/CONFIRMED: 3/);
    expect(output).toMatch(/== Try next/);
  }, 240_000);
});

/**
 * The order-service degraded: Redis unreachable (reads come from the database, health says
 * DOWN) and a payment gateway that always fails (orders end CANCELLED with the reason, and the
 * circuit breaker opens after the configured failures in a row).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order, OrderPage } from '../../src/order-service/model.js';
import { eventually, startDeployment, type Deployment } from './deployment.js';

let deployment: Deployment;

beforeAll(async () => {
  deployment = await startDeployment({
    // Nothing listens on port 1: every Redis command fails.
    redisUrl: 'redis://127.0.0.1:1',
    payment: { failureRate: 1, breakerFailures: 2, breakerCoolDownMs: 60_000 },
  });
});

afterAll(async () => {
  await deployment?.stop();
});

async function placeAndSettle(customerId: string): Promise<Order> {
  const placed = await deployment.call<Order>('POST', '/api/orders', {
    token: deployment.tokens.customer,
    body: { customerId, items: [{ sku: 'WIDGET-9', quantity: 1, unitPrice: '2.50' }] },
  });
  expect(placed.status).toBe(201);
  return (
    await eventually(
      () => deployment.call<Order>('GET', `/api/orders/${placed.body.id}`),
      (response) => response.status === 200 && response.body.status !== 'PENDING',
    )
  ).body;
}

describe('order-service: degraded', () => {
  it('cancels orders while the gateway fails, then refuses fast once the breaker opens', async () => {
    const first = await placeAndSettle('mallory-1');
    const second = await placeAndSettle('mallory-2');
    const third = await placeAndSettle('mallory-3');
    expect([first, second, third].map((order) => order.cancellationReason)).toEqual([
      'process-payment: payment gateway error',
      'process-payment: payment gateway error',
      'process-payment: payment gateway unavailable (circuit breaker open)',
    ]);
    for (const order of [first, second, third]) {
      expect(order.status).toBe('CANCELLED');
      await eventually(
        () => Promise.resolve(deployment.reservations.get(order.id)?.released),
        (released) => released === true,
      );
    }
    const metrics = await deployment.call<string>('GET', '/actuator/prometheus');
    expect(metrics.body).toMatch(/^trackops_order_payment_breaker_open 1$/m);
  });

  it('serves reads from the database while Redis is down, and reports Redis DOWN', async () => {
    const list = await deployment.call<OrderPage>('GET', '/api/orders?customerId=mallory-1');
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(1);
    const stats = await deployment.call<{ caches: Record<string, { fallbacks: number }> }>(
      'GET',
      '/actuator/cache',
    );
    expect(stats.body.caches['orders']!.fallbacks).toBeGreaterThan(0);
    const health = await deployment.call<{
      status: string;
      components: Record<string, { status: string; error?: string }>;
    }>('GET', '/actuator/health');
    expect(health.status).toBe(503);
    expect(health.body.status).toBe('DOWN');
    expect(health.body.components['redis']?.status).toBe('DOWN');
    expect(health.body.components['postgres']?.status).toBe('UP');
    // No connector is registered for this deployment: reported, not a failure.
    expect(health.body.components['debezium']).toMatchObject({
      status: 'UP',
      details: { connectors: { [`${deployment.prefix}-orders`]: 'NOT_REGISTERED' } },
    });
  });
});

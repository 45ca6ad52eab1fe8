/**
 * The demo's scripted scenario, also run by the end-to-end tests: stock two items, then place
 * orders that succeed, one short of stock, one whose payment is declined, and one that is
 * cancelled after it was confirmed — and wait until each reaches its final state.
 */
import { type ServiceClient, waitFor, type Item, type Order } from './client.js';

/** The services' URLs and the tokens the scenario writes with. */
export interface System {
  order: ServiceClient;
  inventory: ServiceClient;
  relay: ServiceClient;
  adminToken: string;
  customerToken: string;
}

/** What the scenario did, for the summary and the tests' assertions. */
export interface ScenarioResult {
  skus: { plenty: string; scarce: string };
  succeeded: Order[];
  shortOfStock: Order;
  paymentDeclined: Order;
  cancelled: Order;
}

const finalStatuses = new Set(['CONFIRMED', 'CANCELLED']);

/** Waits until the order is CONFIRMED or CANCELLED. */
export function settledOrder(system: System, id: string, timeoutMs = 60_000): Promise<Order> {
  return waitFor(
    () => system.order.expect<Order>(200, 'GET', `/api/orders/${id}`),
    (order) => finalStatuses.has(order.status),
    timeoutMs,
    `order ${id} to be confirmed or cancelled`,
  );
}

/** Places an order as the customer; returns it (PENDING). */
export function placeOrder(
  system: System,
  customerId: string,
  sku: string,
  quantity: number,
  headers: Record<string, string> = {},
): Promise<Order> {
  return system.order
    .withToken(system.customerToken)
    .expect<Order>(
      201,
      'POST',
      '/api/orders',
      { customerId, items: [{ sku, quantity, unitPrice: '9.90' }] },
      headers,
    );
}

/** Runs the scenario; `run` makes its SKUs and customers unique. */
export async function runScenario(system: System, run: string): Promise<ScenarioResult> {
  const admin = system.inventory.withToken(system.adminToken);
  const skus = { plenty: `WIDGET-${run}`, scarce: `GADGET-${run}` };
  await admin.expect<Item>(201, 'POST', '/api/inventory/items', {
    sku: skus.plenty,
    name: 'Widget',
    quantity: 100,
    lowStockThreshold: 90,
    price: '9.90',
  });
  await admin.expect<Item>(201, 'POST', '/api/inventory/items', {
    sku: skus.scarce,
    name: 'Gadget',
    quantity: 3,
    price: '24.50',
  });

  const placed = await Promise.all([
    placeOrder(system, `alice-${run}`, skus.plenty, 2),
    placeOrder(system, `bob-${run}`, skus.plenty, 1),
    placeOrder(system, `carol-${run}`, skus.plenty, 3),
  ]);
  const short = await placeOrder(system, `dave-${run}`, skus.scarce, 5);
  const declined = await placeOrder(system, `declined-erin-${run}`, skus.plenty, 1);
  const toCancel = await placeOrder(system, `frank-${run}`, skus.plenty, 4);

  const succeeded = await Promise.all(placed.map((order) => settledOrder(system, order.id)));
  const shortOfStock = await settledOrder(system, short.id);
  const paymentDeclined = await settledOrder(system, declined.id);
  await settledOrder(system, toCancel.id);
  await system.order
    .withToken(system.customerToken)
    .expect<Order>(200, 'DELETE', `/api/orders/${toCancel.id}?reason=changed%20my%20mind`);
  const cancelled = await waitFor(
    () => system.order.expect<Order>(200, 'GET', `/api/orders/${toCancel.id}`),
    (order) => order.status === 'CANCELLED',
    60_000,
    `order ${toCancel.id} to be cancelled`,
  );
  return { skus, succeeded, shortOfStock, paymentDeclined, cancelled };
}

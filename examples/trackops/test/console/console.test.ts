/**
 * The TrackOps console in headless Chromium (Debian's, driven by playwright-core) against the
 * whole reference system on the real stack: an order placed through the API completes on the
 * live list and shows its saga and Kafka events; a declined payment shows its compensation on
 * the timeline; a dead outbox row leaves the list when its Replay button is pressed (refused
 * without an admin token, done with one). Screenshots of each view go to test-results/ (and to
 * docs/screenshots/, linked from the example's README, with TRACKOPS_UPDATE_SCREENSHOTS=1). Last,
 * the Grafana dashboard's queries are checked against the metric names the running services
 * really expose.
 */
import { createOutbox } from '@trackops/outbox';
import { ensureChromium } from '@trackops/stack';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Kafka, logLevel } from 'kafkajs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type Item } from '../../src/demo/client.js';
import { placeOrder } from '../../src/demo/scenario.js';
import type { RunningSystem } from '../../src/demo/system.js';
import { databaseUrlFor } from '../../src/shared/config.js';
import { startWholeSystem, type WholeSystem } from '../support/wholeSystem.js';
import { metricNamesOf } from './promql.js';

const run = `console${Date.now().toString(36)}`;
// Every run keeps its screenshots as artefacts (git-ignored); the README's committed copies in
// docs/screenshots change only when asked, so a test run leaves the working tree clean.
const artefacts = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));
const committed = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const screenshotDirs =
  process.env['TRACKOPS_UPDATE_SCREENSHOTS'] === '1' ? [artefacts, committed] : [artefacts];
/** How long the page may take to show what the services already say. */
const shows = { timeout: 60_000 };

/** The status of a GET sent with its path exactly as given (no dot-segment resolution). */
function rawStatus(base: string, path: string): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ hostname, port, path, method: 'GET' }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
}

describe('the TrackOps console', () => {
  let whole: WholeSystem | undefined;
  let system: RunningSystem | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let sku: string;

  const live = (): RunningSystem => {
    if (system === undefined) throw new Error('the system did not start');
    return system;
  };
  const open = async (route: string): Promise<void> => {
    await page.goto(`${live().relay.url}console/#/${route}`);
    await page.locator('#live.ok').waitFor(shows);
  };
  const screenshot = async (name: string): Promise<void> => {
    const image = await page.screenshot({ fullPage: true });
    for (const dir of screenshotDirs) writeFileSync(`${dir}${name}.png`, image);
  };

  beforeAll(async () => {
    process.env['ORDER_SERVICE_PORT'] = '28081';
    process.env['INVENTORY_SERVICE_PORT'] = '28082';
    process.env['EVENT_RELAY_SERVICE_PORT'] = '28084';
    // The e2e test runs the same system on the same databases: one at a time (it takes minutes).
    // Two attempts, and a row that cannot be published is dead within a second.
    whole = await startWholeSystem({ LOG_LEVEL: 'info', RELAY_MAX_ATTEMPTS: '2' }, 540_000);
    system = whole.system;
    browser = await chromium.launch({
      executablePath: ensureChromium(),
      // Chromium's sandbox needs user namespaces, which a root shell in a container lacks.
      args: ['--no-sandbox'],
      timeout: 60_000,
    });
    page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
    page.setDefaultTimeout(30_000);
    for (const dir of screenshotDirs) mkdirSync(dir, { recursive: true });
    sku = `CONSOLE-${run}`;
    await system.inventory
      .withToken(system.adminToken)
      .expect<Item>(201, 'POST', '/api/inventory/items', {
        sku,
        name: 'Console widget',
        quantity: 50,
        price: '9.90',
      });
  }, 720_000);

  afterAll(async () => {
    await browser?.close();
    await whole?.release();
  }, 120_000);

  it('shows an order placed through the API completing live, then its saga and events', async () => {
    await open('orders');
    const correlationId = `console-${run}-alice`;
    const order = await placeOrder(live(), `alice-${run}`, sku, 2, {
      'x-correlation-id': correlationId,
    });
    // No reload: the list picks the order up and follows it to CONFIRMED by itself.
    const row = page.locator(`tr[data-order-id="${order.id}"]`);
    await row.waitFor(shows);
    await row.locator('td[data-status="CONFIRMED"]').waitFor(shows);
    await screenshot('orders');

    await row.getByRole('link').click();
    await page.locator('#saga-status[data-status="COMPLETED"]').waitFor(shows);
    expect(await page.locator('#correlation-id').textContent()).toBe(correlationId);
    const timeline = page.locator('.timeline');
    for (const step of ['reserve-inventory', 'process-payment']) {
      await timeline.locator(`li[data-step="${step}"][data-event="command-sent"]`).waitFor();
      await timeline.locator(`li[data-step="${step}"][data-event="reply-succeeded"]`).waitFor();
    }
    await timeline.locator('li[data-step="confirm-order"][data-event="local-succeeded"]').waitFor();
    expect(await timeline.locator('li[data-phase="compensation"]').count()).toBe(0);
    // Beside it, what the journey put on Kafka: the order's own event, the inventory's and the
    // ones the CDC transformation derived from the orders table.
    for (const type of ['ORDER_CREATED', 'inventory.reserved', 'order.created']) {
      await page
        .locator(`.events tr[data-event-type="${type}"][data-state="published"]`)
        .waitFor(shows);
    }
    await screenshot('order-timeline');
  });

  it('shows the compensation of an order whose payment is declined', async () => {
    // Customers whose id starts with `declined-` always fail at the payment gateway.
    const order = await placeOrder(live(), `declined-bob-${run}`, sku, 1);
    await open(`orders/${order.id}`);
    await page.locator('#order-status[data-status="CANCELLED"]').waitFor(shows);
    await page.locator('#saga-status[data-status="COMPENSATED"]').waitFor(shows);
    const timeline = page.locator('.timeline');
    await timeline.locator('li[data-step="process-payment"][data-event="reply-failed"]').waitFor();
    expect(
      await timeline
        .locator('li[data-step="process-payment"][data-event="reply-failed"]')
        .textContent(),
    ).toContain('card declined');
    // Undone in reverse order: the reservation released, then the order closed.
    const compensation = timeline.locator('li[data-phase="compensation"]');
    const steps = await Promise.all(
      (await compensation.all()).map(
        async (entry) =>
          `${await entry.getAttribute('data-step')} ${await entry.getAttribute('data-event')}`,
      ),
    );
    expect(steps).toEqual([
      'reserve-inventory command-sent',
      'reserve-inventory reply-succeeded',
      'open-order local-succeeded',
      'saga compensated',
    ]);
    expect(await page.locator('.facts .reason').textContent()).toBe(
      'process-payment: card declined',
    );
    for (const type of ['inventory.released', 'ORDER_CANCELLED']) {
      await page
        .locator(`.events tr[data-event-type="${type}"][data-state="published"]`)
        .waitFor(shows);
    }
    await screenshot('order-compensated');
  });

  it('replays a dead outbox row with the button, through the authenticated API', async () => {
    const orders = new pg.Pool({
      connectionString: databaseUrlFor(live().stack.DATABASE_URL, 'trackops_orders'),
      max: 1,
    });
    const aggregateId = uuidv7();
    try {
      // An event type that is no legal topic name: the relay fails it twice and it is dead.
      const [id] = await createOutbox().enqueue(orders, {
        aggregateType: 'console-test',
        aggregateId,
        type: 'not a topic!',
        payload: { run },
      });
      await open('outbox');
      const row = page.locator(`tr[data-dead-id="${id}"]`);
      await row.waitFor(shows);
      expect(await row.locator('.error').textContent()).toMatch(/not a legal Kafka topic name/);
      await screenshot('outbox');

      // Without a token the service refuses, and the row stays.
      await row.locator(`button[data-replay="${id}"]`).click();
      await page.locator('.message.failing', { hasText: '401' }).waitFor();
      expect(await row.count()).toBe(1);

      // The operator fixes the cause, enters an admin token and replays.
      const fixed = `console.fixed.${run}`;
      await orders.query('update outbox set type = $1 where id = $2', [fixed, id]);
      await page.locator('#token').fill(live().adminToken);
      await page.getByRole('button', { name: 'Use' }).click();
      await page.locator('#token-state', { hasText: 'token set' }).waitFor();
      await row.locator(`button[data-replay="${id}"]`).click();
      await page.locator('.message.ok', { hasText: '"replayed":1' }).waitFor();
      await row.waitFor({ state: 'detached', ...shows });

      // And the relay publishes it.
      const journey = await waitFor(
        () =>
          live().relay.expect<{ items: Array<{ id: string; state: string }> }>(
            200,
            'GET',
            `/api/events?aggregateId=${aggregateId}`,
          ),
        (found) => found.items.some((event) => event.id === id && event.state === 'published'),
        30_000,
        'the replayed row to be published',
      );
      expect(journey.items).toHaveLength(1);
    } finally {
      await orders.end();
    }
  });

  it('lists a dead letter with its error context, and replays its topic with the button', async () => {
    // A command no participant can read: the inventory-service retries it, then dead-letters it.
    const key = `poison-${run}`;
    const kafka = new Kafka({
      brokers: live().stack.KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({
        topic: 'inventory.commands',
        messages: [{ key, value: 'not a command' }],
      });
    } finally {
      await producer.disconnect();
    }
    await open('outbox');
    const panel = page.locator('section[data-dlq="inventory.commands.dlq"]');
    const first = panel.locator(`tr[data-key="${key}"]`).first();
    await first.waitFor(shows);
    const where = await first.getAttribute('data-dlq-record');
    const context = (await first.textContent()) ?? '';
    expect(context).toContain('inventory.commands');
    expect(context).toContain('inventory-service');
    await screenshot('dead-letters');

    // Replayed to inventory.commands (with the admin token entered above), it leaves the list;
    // still unreadable, it comes back as a new dead letter that says where it was replayed from.
    await panel.getByRole('button', { name: 'Replay to the original topic' }).click();
    await page.locator('.message.ok', { hasText: 'replay inventory.commands.dlq' }).waitFor();
    await panel.locator(`tr[data-dlq-record="${where}"]`).waitFor({ state: 'detached', ...shows });
    await panel
      .locator(`tr[data-key="${key}"]`, {
        hasText: `failed again after a replay of inventory.commands.dlq:${where}`,
      })
      .waitFor(shows);

    // Leave the topic as found: the replay's group moves past the copies that failed again, so
    // the next run does not replay them once more.
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topic = 'inventory.commands.dlq';
      const ends = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({
        groupId: `${topic}.replay`,
        topic,
        partitions: ends.map(({ partition, high }) => ({ partition, offset: high })),
      });
    } finally {
      await admin.disconnect();
    }
  });

  it('shows the connectors with their recent changes, and the caches with their checker', async () => {
    await open('cdc');
    for (const name of ['trackops-orders', 'trackops-inventory']) {
      const connector = page.locator(`section[data-connector="${name}"]`);
      await connector.locator('h3 .badge-running').waitFor(shows);
      expect(await connector.locator('td', { hasText: 'yes' }).count()).toBeGreaterThan(0);
    }
    // The orders this file placed, as Debezium streamed them from the orders table.
    await page
      .locator('section[data-topic="trackops_orders.public.orders"] tr[data-op="c"]')
      .first()
      .waitFor(shows);
    await screenshot('cdc');

    await open('cache');
    const orders = page.locator('section[data-cache="order/orders"]');
    await orders.waitFor(shows);
    expect(await orders.locator('.stat').first().textContent()).toMatch(/%/);
    // The stale-entry checker runs every 15 s over the cached orders: none may be stale.
    const checker = page.locator('section[data-consistency="order"] .message');
    await checker.waitFor(shows);
    expect(await checker.textContent()).toMatch(/entries checked at .*: none stale/);
    await screenshot('cache');
  });

  it('serves the page and a read-only pass-through to the services’ own answers', async () => {
    const relay = live().relay;
    const served = await relay.call<string>('GET', '/console/');
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toMatch(/^text\/html/);
    expect(served.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect((await relay.call('GET', '/console/js/nothing.js')).status).toBe(404);
    // Only the services' API and actuator routes, and never another host.
    expect((await relay.call('GET', '/console/api/order-service/openapi.json')).status).toBe(400);
    expect((await relay.call('GET', '/console/api/elsewhere/api/orders')).status).toBe(400);
    // Dot segments, sent as-is (fetch would resolve them before sending), do not climb out.
    expect(await rawStatus(relay.url, '/console/api/order-service/api/../openapi.json')).toBe(400);

    const body = { customerId: `proxied-${run}`, items: [{ sku, quantity: 1, unitPrice: '9.90' }] };
    // Reads only: a write through the console is refused there, even with a valid token.
    const write = await relay
      .withToken(live().customerToken)
      .call('POST', '/console/api/order-service/api/orders', body);
    expect([404, 405]).toContain(write.status);
    const customerOrders = `/api/orders?customerId=${encodeURIComponent(`proxied-${run}`)}`;
    const none = await live().order.expect<{ items: unknown[] }>(200, 'GET', customerOrders);
    expect(none.items).toEqual([]);

    // Placed directly, read through the pass-through: the order-service's own answer.
    const placed = await live()
      .order.withToken(live().customerToken)
      .expect<{ id: string; sagaId: string }>(201, 'POST', '/api/orders', body, {
        'x-correlation-id': `proxied-${run}`,
      });
    const proxied = await relay.call<{ id: string }>(
      'GET',
      `/console/api/order-service/api/orders/${placed.id}`,
    );
    expect(proxied.status).toBe(200);
    expect(proxied.body.id).toBe(placed.id);
    expect(proxied.headers.get('content-type')).toMatch(/^application\/json/);
    expect(proxied.headers.get('x-content-type-options')).toBe('nosniff');
    const direct = await live().order.expect<{ id: string }>(
      200,
      'GET',
      `/api/orders/${placed.id}`,
    );
    expect(proxied.body).toEqual(direct);
    // The service's own errors come back as they are.
    const missing = await relay.call('GET', `/console/api/order-service/api/orders/${uuidv7()}`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-content-type-options')).toBe('nosniff');
    const saga = await relay.call<{ correlationId: string }>(
      'GET',
      `/console/api/order-service/api/sagas/${placed.sagaId}`,
    );
    expect(saga.status).toBe(200);
    expect(saga.body.correlationId).toBe(`proxied-${run}`);

    const stats = await live().order.expect<{ byStatus: Record<string, number>; stuck: number }>(
      200,
      'GET',
      '/api/sagas/stats',
    );
    expect(stats.byStatus['COMPLETED']).toBeGreaterThanOrEqual(1);
    expect(stats.byStatus['COMPENSATED']).toBeGreaterThanOrEqual(1);
    const unfiltered = await relay.call<{ field?: string }>('GET', '/api/events');
    expect(unfiltered.status).toBe(400);
    expect(unfiltered.body.field).toBe('query.aggregateId');
  });

  it('has a Grafana dashboard that queries only metrics the running services expose', async () => {
    const dashboard = JSON.parse(
      readFileSync(new URL('../../grafana/trackops.json', import.meta.url), 'utf8'),
    ) as { panels: Array<{ type: string; targets?: Array<{ expr: string }> }> };
    const queried = new Set(
      dashboard.panels
        .flatMap((panel) => panel.targets ?? [])
        .flatMap((target) => metricNamesOf(target.expr)),
    );
    expect(queried.size).toBeGreaterThan(20);
    // Histograms and labelled series exist once something was observed: the tests above did.
    const exposed = new Set<string>();
    for (const client of [live().order, live().inventory, live().relay]) {
      const text = await client.expect<string>(200, 'GET', '/actuator/prometheus');
      for (const line of text.split('\n')) {
        const name = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line)?.[1];
        if (name !== undefined) exposed.add(name);
      }
    }
    expect([...queried].filter((name) => !exposed.has(name))).toEqual([]);
  });
});

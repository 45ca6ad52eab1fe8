/**
 * inventory-service's cached reads kept fresh by the change stream: a real Debezium connector
 * on the test database, changes made behind the service's back (plain SQL), and the cached
 * reads catching up — warmed with exactly what the database would answer.
 */
import { ensureConnector, createConnectClient } from '@trackops/cdc';
import {
  createTestDatabase,
  deleteConnector,
  stackEndpoints,
  uniqueName,
  type TestDatabase,
} from '@trackops/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectorDefinition } from '../../src/event-relay-service/connectors.js';
import { findItem } from '../../src/inventory-service/items.js';
import { startInventoryService, type RunningService } from '../../src/inventory-service/service.js';
import { call, eventually, testConfig, tokens } from './support.js';

const prefix = uniqueName('inv_cache');
const connector = `${prefix}-inventory`;
const sku = (name: string) => `${name}-${prefix.slice(-10)}`.toUpperCase();
let db: TestDatabase;
let service: RunningService;
let admin: string;

beforeAll(async () => {
  const stack = stackEndpoints();
  db = await createTestDatabase(stack.DATABASE_URL, 'inv_cache');
  const config = testConfig('inventory-service');
  ({ admin } = await tokens(config));
  service = await startInventoryService(config, {
    database: db.name,
    commandTopic: `${prefix}.inventory.commands`,
    participantGroupId: `${prefix}-participant`,
    cdcTopicPrefix: `${prefix}_cdc`,
    cacheGroupId: `${prefix}-cache`,
    cacheKeyPrefix: `${prefix}:`,
    connectorName: connector,
  });
  // The service has migrated its tables; register the connector as the event-relay-service does.
  await ensureConnector(
    createConnectClient({ url: stack.CONNECT_URL }),
    connectorDefinition(
      {
        name: connector,
        database: db.name,
        topicPrefix: `${prefix}_cdc`,
        tables: ['public.inventory_items', 'public.reservations'],
      },
      stack.CONNECT_DATABASE_URL,
    ),
    { waitForSlot: { db: db.pool } },
  );
});

afterAll(async () => {
  await service?.stop();
  await deleteConnector(stackEndpoints().CONNECT_URL, connector);
  await db?.drop();
});

const read = (path: string) => call(service.url, 'GET', path);

it('shows the connector RUNNING in health', async () => {
  const health = await read('/actuator/health');
  expect(health.body).toMatchObject({
    status: 'UP',
    components: { debezium: { status: 'UP', details: { connectors: { [connector]: 'RUNNING' } } } },
  });
});

it('warms cached items from changes made behind the service, and invalidates pages and deletes', async () => {
  const created = await call(service.url, 'POST', '/api/inventory/items', {
    token: admin,
    body: { sku: sku('w'), name: 'Warm', quantity: 5, price: '3.30' },
  });
  expect(created.status).toBe(201);
  const id = created.body['id'] as string;
  // Fill the entries: by id, by sku, and the first page.
  await read(`/api/inventory/items/${id}`);
  await read(`/api/inventory/items/${sku('w')}`);
  expect((await read('/api/inventory/items')).body['total']).toBe(1);

  await db.pool.query(
    `update inventory_items set quantity = 77, updated_at = now() where sku = $1`,
    [sku('w')],
  );
  const warmed = await eventually(
    () => read(`/api/inventory/items/${id}`),
    (reply) => reply.body['quantity'] === 77,
    15_000,
    'the cached item to show the new quantity',
  );
  // Exactly what the database answers (timestamps, decimals): the warmed entry is the loaded one.
  expect(warmed.body).toEqual(await findItem(db.pool, id));
  expect((await read(`/api/inventory/items/${sku('w')}`)).body).toEqual(warmed.body);
  const stats = await read('/actuator/cache');
  expect(
    (stats.body['caches'] as Record<string, { warms: number }>)['inventory']!.warms,
  ).toBeGreaterThan(0);

  await db.pool.query(
    `insert into inventory_items (id, sku, name, quantity, price)
     values (gen_random_uuid(), $1, 'Behind', 1, 1)`,
    [sku('x')],
  );
  await eventually(
    () => read('/api/inventory/items'),
    (reply) => reply.body['total'] === 2,
    15_000,
    'the cached page to be invalidated',
  );

  await db.pool.query('delete from inventory_items where id = $1', [id]);
  await eventually(
    () => read(`/api/inventory/items/${sku('w')}`),
    (reply) => reply.status === 404,
    15_000,
    'the deleted item to leave the cache',
  );
});

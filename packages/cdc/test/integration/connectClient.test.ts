import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  stackEndpoints,
  uniqueName,
  withDatabase,
  type TestDatabase,
} from '@trackops/testkit';
import {
  ConnectError,
  createConnectClient,
  deleteConnector,
  ensureConnector,
  postgresConnectorConfig,
  slotLag,
  type ConnectClient,
  type ConnectorState,
} from '@trackops/cdc';

/** Polls until the connector and all its tasks are in `state`. */
async function waitForState(client: ConnectClient, name: string, state: ConnectorState) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await client.status(name);
    if (
      status?.connector.state === state &&
      status.tasks.length > 0 &&
      status.tasks.every((task) => task.state === state)
    )
      return status;
    if (Date.now() > deadline)
      throw new Error(`connector ${name} not ${state}: ${JSON.stringify(status)}`);
    await sleep(200);
  }
}

describe('the Kafka Connect client against the real Connect', () => {
  const stack = stackEndpoints();
  const client = createConnectClient({ url: stack.CONNECT_URL });
  const connectors: string[] = [];
  let db: TestDatabase;

  /** A connector on this file's database, deleted in afterAll. */
  function connector(tables = ['public.parcels'], extra: Record<string, string> = {}) {
    const name = uniqueName('cdc_connect');
    connectors.push(name);
    return postgresConnectorConfig({
      name,
      databaseUrl: withDatabase(stack.CONNECT_DATABASE_URL, db.name),
      topicPrefix: name,
      tables,
      snapshotMode: 'no_data',
      extra,
    });
  }

  beforeAll(async () => {
    db = await createTestDatabase(stack.DATABASE_URL, 'cdc_connect');
    await db.pool.query('create table parcels (id int primary key, label text not null)');
  });
  afterAll(async () => {
    // Connectors first: a database whose slot is still read cannot be dropped.
    for (const name of connectors) await deleteConnector(client, name);
    await db.drop();
  });

  it('creates a connector, leaves it alone when asked again with the same config, and updates it', async () => {
    const definition = connector();
    const created = await ensureConnector(client, definition, { waitForSlot: { db: db.pool } });
    expect(created.action).toBe('created');
    expect(created.status.connector.state).toBe('RUNNING');
    expect(created.status.tasks.map((task) => task.state)).toEqual(['RUNNING']);

    const [slot] = await slotLag(db.pool, { slotName: definition.config['slot.name']! });
    expect(slot).toMatchObject({ plugin: 'pgoutput', database: db.name, active: true });

    const again = await ensureConnector(client, definition);
    expect(again.action).toBe('unchanged');
    expect(await client.getConfig(definition.name)).toEqual({
      ...definition.config,
      name: definition.name,
    });

    const changed = { ...definition.config, 'heartbeat.interval.ms': '5000' };
    const updated = await ensureConnector(client, { name: definition.name, config: changed });
    expect(updated.action).toBe('updated');
    expect((await client.getConfig(definition.name))?.['heartbeat.interval.ms']).toBe('5000');
    const tasks = await client.tasks(definition.name);
    expect(tasks.map((task) => task.task)).toEqual([0]);

    const listed = await client.listConnectors();
    expect(listed.find((status) => status.name === definition.name)?.connector.state).toBe(
      'RUNNING',
    );
  });

  it('throws CONNECTOR_FAILED with the worker trace when a listed table does not exist', async () => {
    const definition = connector(['public.no_such_table']);
    const error = await ensureConnector(client, definition, { timeoutMs: 30_000 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).toMatchObject({ code: 'CONNECTOR_FAILED', connector: definition.name });
    const { trace, message } = error as ConnectError;
    expect(trace).toContain('No table filters found for filtered publication');
    expect(trace).toMatch(/\n\s+at io\.debezium\./);
    expect(message).toContain('No table filters found');
  });

  it('throws CONNECTOR_INVALID_CONFIG naming the field when Connect refuses the config', async () => {
    const definition = connector();
    const config = { ...definition.config, 'database.dbname': 'no_such_database' };
    const error = await ensureConnector(client, { name: definition.name, config }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).toMatchObject({ code: 'CONNECTOR_INVALID_CONFIG', status: 400 });
    expect((error as ConnectError).message).toContain('"no_such_database" does not exist');
    expect((error as ConnectError).fieldErrors).toEqual([
      {
        field: 'database.hostname',
        messages: [expect.stringContaining('"no_such_database" does not exist')],
      },
    ]);
    expect(await client.status(definition.name)).toBeUndefined();
  });

  it('validate() returns the errors per field', async () => {
    const result = await client.validate({
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      name: 'validate-only',
    });
    expect(result.connectorClass).toBe('io.debezium.connector.postgresql.PostgresConnector');
    expect(result.errorCount).toBe(result.errors.length);
    expect(result.errors.map((error) => error.field).sort()).toEqual([
      'database.dbname',
      'database.hostname',
      'database.user',
      'topic.prefix',
    ]);
    expect(result.errors.find((error) => error.field === 'topic.prefix')?.messages).toEqual([
      expect.stringContaining('A value is required'),
    ]);
    expect(result.fields.find((field) => field.name === 'name')?.value).toBe('validate-only');
    expect(result.fields.find((field) => field.name === 'topic.prefix')?.value).toBeNull();

    const valid = await client.validate({ ...connector().config, name: 'validate-only' });
    expect(valid.errors).toEqual([]);
  });

  it('pauses, resumes and restarts a connector', async () => {
    const definition = connector();
    await ensureConnector(client, definition);
    await client.pause(definition.name);
    await waitForState(client, definition.name, 'PAUSED');
    await client.resume(definition.name);
    await waitForState(client, definition.name, 'RUNNING');
    await client.restart(definition.name, { includeTasks: true });
    const restarted = await ensureConnector(client, definition);
    expect(restarted.action).toBe('unchanged');
    expect(restarted.status.tasks.map((task) => task.state)).toEqual(['RUNNING']);
    // Nothing FAILED, so this restarts nothing.
    await client.restart(definition.name, { includeTasks: true, onlyFailed: true });
    await waitForState(client, definition.name, 'RUNNING');
  });

  it('lists plugins, reports a missing connector and deletes until gone', async () => {
    const plugins = await client.plugins();
    expect(plugins).toContainEqual(
      expect.objectContaining({
        class: 'io.debezium.connector.postgresql.PostgresConnector',
        type: 'source',
      }),
    );
    const missing = uniqueName('cdc_missing');
    expect(await client.status(missing)).toBeUndefined();
    expect(await client.getConfig(missing)).toBeUndefined();
    expect(await deleteConnector(client, missing)).toBe(false);
    await expect(client.pause(missing)).rejects.toMatchObject({
      code: 'CONNECT_REQUEST_FAILED',
      status: 404,
      retriable: false,
    });

    const definition = connector();
    await ensureConnector(client, definition);
    expect(await deleteConnector(client, definition.name)).toBe(true);
    expect(await client.status(definition.name)).toBeUndefined();
  });
});

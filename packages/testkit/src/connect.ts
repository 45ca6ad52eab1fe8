import pg from 'pg';
import { debeziumPostgresConnection } from '@trackops/core';
import { withDatabase } from './database.js';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The few Kafka Connect REST calls tests need to register a Debezium connector and remove it
 * again, with waits tuned for tests. (`@trackops/cdc`'s `createConnectClient` is the full, typed
 * client for applications.)
 */

/** A connector's configuration, as Connect's REST API takes it: every value a string. */
export type ConnectorConfig = Record<string, string>;

/** The class Connect must list among its plugins for the tests' connectors. */
export const debeziumPostgresConnectorClass = 'io.debezium.connector.postgresql.PostgresConnector';

interface ConnectorStatus {
  connector: { state: string; trace?: string };
  tasks: Array<{ id: number; state: string; trace?: string }>;
}

async function call(
  connectUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  return fetch(`${connectUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
}

/**
 * Creates (or reconfigures) a connector and waits until it and all its tasks are RUNNING.
 * A FAILED connector or task rejects at once with the worker's stack trace.
 *
 * @param connectUrl - Connect's REST API (`CONNECT_URL`).
 * @param name - The connector's name; use {@link uniqueName} so parallel test files never share one.
 * @param config - Its configuration, e.g. from {@link debeziumTestConfig}.
 * @param timeoutMs - How long to wait for RUNNING.
 * @defaultValue `timeoutMs`: 60 000
 */
export async function putConnector(
  connectUrl: string,
  name: string,
  config: ConnectorConfig,
  timeoutMs = 60_000,
): Promise<void> {
  const response = await call(
    connectUrl,
    'PUT',
    `/connectors/${encodeURIComponent(name)}/config`,
    config,
  );
  if (!response.ok)
    throw new Error(
      `Connect refused connector ${name} (${response.status}): ${await response.text()}`,
    );
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const statusResponse = await call(
      connectUrl,
      'GET',
      `/connectors/${encodeURIComponent(name)}/status`,
    );
    if (statusResponse.ok) {
      const status = (await statusResponse.json()) as ConnectorStatus;
      const failed = [status.connector, ...status.tasks].find((unit) => unit.state === 'FAILED');
      if (failed) throw new Error(`connector ${name} FAILED:\n${failed.trace ?? '(no trace)'}`);
      if (
        status.connector.state === 'RUNNING' &&
        status.tasks.length > 0 &&
        status.tasks.every((task) => task.state === 'RUNNING')
      )
        return;
    }
    if (Date.now() > deadline)
      throw new Error(`connector ${name} not RUNNING after ${timeoutMs} ms`);
    await sleep(250);
  }
}

/**
 * Deletes a connector (if present) and waits until Connect no longer lists it. Delete a test's
 * connectors before dropping its database: a database with an active slot cannot be dropped.
 *
 * @param connectUrl - Connect's REST API (`CONNECT_URL`).
 * @param name - The connector's name.
 * @param timeoutMs - How long to wait until it is gone.
 * @defaultValue `timeoutMs`: 30 000
 */
export async function deleteConnector(
  connectUrl: string,
  name: string,
  timeoutMs = 30_000,
): Promise<void> {
  const response = await call(connectUrl, 'DELETE', `/connectors/${encodeURIComponent(name)}`);
  if (!response.ok && response.status !== 404)
    throw new Error(
      `could not delete connector ${name} (${response.status}): ${await response.text()}`,
    );
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await call(connectUrl, 'GET', `/connectors/${encodeURIComponent(name)}`)).status === 404)
      return;
    await sleep(200);
  }
  throw new Error(`connector ${name} still listed ${timeoutMs} ms after DELETE`);
}

/** Options of {@link debeziumTestConfig}. */
export interface DebeziumTestConnectorOptions {
  /** How Connect reaches PostgreSQL (the stack's `CONNECT_DATABASE_URL`, any database). */
  databaseUrl: string;
  /** The database to capture. */
  database: string;
  /** Topic prefix (`topic.prefix`); also used for the slot and publication names. */
  topicPrefix: string;
  /** `schema.table` names to capture. */
  tables: readonly string[];
}

/**
 * A Debezium PostgreSQL connector configuration for tests: pgoutput, a publication and slot
 * of its own (so parallel test files never share one), and short poll intervals.
 *
 * @param options - The database, tables and topic prefix.
 * @param overrides - Connector properties to add or replace (converters, `snapshot.mode` …).
 * @returns The configuration for {@link putConnector}.
 */
export function debeziumTestConfig(
  options: DebeziumTestConnectorOptions,
  overrides: ConnectorConfig = {},
): ConnectorConfig {
  return {
    ...debeziumPostgresConnection(withDatabase(options.databaseUrl, options.database)),
    'topic.prefix': options.topicPrefix,
    'slot.name': options.topicPrefix,
    'publication.name': options.topicPrefix,
    'publication.autocreate.mode': 'filtered',
    'table.include.list': options.tables.join(','),
    'poll.interval.ms': '100',
    ...overrides,
  };
}

/**
 * Waits until a connector's replication slot exists and is being read. Connect reports a
 * connector RUNNING before its task has created the slot, and with `snapshot.mode=no_data`
 * changes committed before that moment are never streamed.
 *
 * @param databaseUrl - The PostgreSQL server, as the tests reach it (`DATABASE_URL`).
 * @param slotName - The slot; {@link debeziumTestConfig} names it after the topic prefix.
 * @param timeoutMs - How long to wait.
 * @defaultValue `timeoutMs`: 60 000
 */
export async function waitForSlot(
  databaseUrl: string,
  slotName: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ active: boolean }>(
        'select active from pg_replication_slots where slot_name = $1',
        [slotName],
      );
      if (rows[0]?.active) return;
    } finally {
      await client.end();
    }
    if (Date.now() > deadline)
      throw new Error(`replication slot ${slotName} not active after ${timeoutMs} ms`);
    await sleep(200);
  }
}

/**
 * The two Debezium connectors of the reference app, registered by this service: `trackops-orders`
 * (public.orders, public.order_items) and `trackops-inventory` (public.inventory_items,
 * public.reservations), with low-latency settings.
 */
import {
  ensureConnector,
  postgresConnectorConfig,
  type ConnectClient,
  type ConnectorDefinition,
} from '@trackops/cdc';
import type pg from 'pg';
import type { Logger } from 'pino';
import { databaseUrlFor } from '../shared/config.js';
import { cdc } from '../shared/contracts.js';

/** One connector to register. */
export interface ConnectorSpec {
  name: string;
  /** The captured database. */
  database: string;
  topicPrefix: string;
  tables: readonly string[];
}

/** The defaults, from the shared contracts: the prefix is the database name, as Debezium names topics. */
export const defaultConnectors = {
  orders: {
    name: cdc.orders.connector,
    database: cdc.orders.database,
    topicPrefix: cdc.orders.ordersTopic.slice(0, -'.public.orders'.length),
    tables: cdc.orders.tables,
  },
  inventory: {
    name: cdc.inventory.connector,
    database: cdc.inventory.database,
    topicPrefix: cdc.inventory.itemsTopic.slice(0, -'.public.inventory_items'.length),
    tables: cdc.inventory.tables,
  },
} satisfies Record<string, ConnectorSpec>;

/**
 * The connector configuration: pgoutput, a filtered publication and a slot of its own,
 * snapshot `when_needed`,
 * heartbeats every second (the slot confirms its position on quiet tables) and a 10 ms poll
 * interval — Debezium sleeps that long when its queue is empty, and the default 500 ms would
 * dominate the cache invalidation lag.
 */
export function connectorDefinition(
  spec: ConnectorSpec,
  connectDatabaseUrl: string,
): ConnectorDefinition {
  return postgresConnectorConfig({
    name: spec.name,
    databaseUrl: databaseUrlFor(connectDatabaseUrl, spec.database),
    topicPrefix: spec.topicPrefix,
    tables: [...spec.tables],
    heartbeatIntervalMs: 1_000,
    // `initial` on a fresh start; and when the stored offset points at WAL the server no longer
    // has (the database or its slot was recreated, the connector deleted and registered again
    // under the same name), a new snapshot instead of a FAILED task.
    snapshotMode: 'when_needed',
    extra: { 'poll.interval.ms': '10' },
  });
}

/** Creates or updates the connector and waits until it runs and reads its slot. */
export async function registerConnector(
  connect: ConnectClient,
  spec: ConnectorSpec,
  options: { connectDatabaseUrl: string; pool: pg.Pool; logger: Logger; signal?: AbortSignal },
): Promise<void> {
  const { action } = await ensureConnector(
    connect,
    connectorDefinition(spec, options.connectDatabaseUrl),
    {
      waitForSlot: { db: options.pool },
      timeoutMs: 90_000,
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
  options.logger.info({ connector: spec.name, action, tables: spec.tables }, 'connector running');
}

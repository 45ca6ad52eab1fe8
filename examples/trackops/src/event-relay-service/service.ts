/**
 * The event-relay-service: relays the outboxes of trackops_orders, trackops_inventory and its
 * own; registers the Debezium connectors; turns order changes into order.created /
 * order.status.updated; operates all of it over HTTP.
 */
import { createConnectClient } from '@trackops/cdc';
import { consoleRoutes, consoleServicesFromEnv, type ConsoleServices } from '../console/server.js';
import { migrate, migrateInbox } from '@trackops/outbox';
import pg from 'pg';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { connectorsCheck, kafkaCheck, postgresCheck, redisCheck } from '../shared/checks.js';
import { databaseUrlFor, services, type ServiceConfig } from '../shared/config.js';
import { migrateService } from '../shared/database.js';
import { createHttpApp } from '../shared/http.js';
import { connectRedis, createReleaseList, listen, watchPool } from '../shared/lifecycle.js';
import { createKafka, createLogger, openDatabase } from '../shared/runtime.js';
import { topics } from '../shared/contracts.js';
import { ensureTopics } from '../shared/topics.js';
import { defaultConnectors, registerConnector, type ConnectorSpec } from './connectors.js';
import { createOrderEventsTransformer } from './orderEvents.js';
import { cdcMetrics } from './cdcMetrics.js';
import { cdcRoutes } from './cdcRoutes.js';
import { startDeadLetterWatch } from './deadLetters.js';
import { startRecentChanges } from './recentChanges.js';
import { eventRoutes } from './routes.js';
import { startSource, type OutboxSource, type RelaySettings, type SourceName } from './sources.js';
import { waitForTables } from './waitFor.js';

/** What a test (or another deployment) may change; the defaults are the shared contracts'. */
export interface EventRelayServiceOptions {
  /** This service's own database. @defaultValue `trackops_event_relay` */
  database?: string;
  /** The captured and relayed services' databases, connector names and topic prefixes. */
  connectors?: { orders?: Partial<ConnectorSpec>; inventory?: Partial<ConnectorSpec> };
  /** Register the connectors at start. @defaultValue true */
  registerConnectors?: boolean;
  /** The relays' topic template. @defaultValue `'${routedByValue}'` (the event type is the topic) */
  topicTemplate?: string;
  /** Relay settings (attempts before a row is dead, backoff, polling). */
  relay?: RelaySettings;
  /** The CDC transformation's consumer group. @defaultValue `event-relay-service-cdc` */
  cdcGroupId?: string;
  /** How long to wait for the other services' tables at start. @defaultValue 120000 */
  waitForTablesMs?: number;
  /**
   * Where the console's pass-through finds the order and inventory services.
   * @defaultValue their standard ports on loopback
   */
  consoleServices?: ConsoleServices;
  logger?: Logger;
}

export interface RunningService {
  /** `http://host:port/` */
  url: string;
  stop(): Promise<void>;
}

export async function startEventRelayService(
  config: ServiceConfig,
  options: EventRelayServiceOptions = {},
): Promise<RunningService> {
  const logger = options.logger ?? createLogger(config);
  const database = options.database ?? services['event-relay-service'].database;
  const specs = {
    orders: { ...defaultConnectors.orders, ...options.connectors?.orders },
    inventory: { ...defaultConnectors.inventory, ...options.connectors?.inventory },
  };
  const waitMs = options.waitForTablesMs ?? 120_000;
  const abort = new AbortController();
  const resources = createReleaseList(logger);
  const stop = async (): Promise<void> => {
    abort.abort(); // a start still waiting for tables gives up
    await resources.releaseAll();
  };
  try {
    const own = watchPool(await openDatabase(config, database), logger);
    resources.defer(() => own.end());
    await migrateService(own, 'event-relay-service', new URL('./migrations/', import.meta.url));
    await migrate(own);
    await migrateInbox(own);

    // The other services own their databases: open pools, never create them.
    const pools: Record<'orders' | 'inventory', pg.Pool> = {
      orders: new pg.Pool({
        connectionString: databaseUrlFor(config.databaseUrl, specs.orders.database),
        max: 5,
      }),
      inventory: new pg.Pool({
        connectionString: databaseUrlFor(config.databaseUrl, specs.inventory.database),
        max: 5,
      }),
    };
    for (const pool of Object.values(pools)) {
      watchPool(pool, logger);
      resources.defer(() => pool.end());
    }

    const kafka = createKafka(config, logger);
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const connect = createConnectClient({ url: config.connectUrl });
    const topicTemplate = options.topicTemplate ?? '${routedByValue}';
    const settings = options.relay ?? {};
    const sources = new Map<SourceName, OutboxSource>();
    const relayOf = async (name: SourceName, pool: pg.Pool, db: string) => {
      const started = await startSource({
        name,
        database: db,
        pool,
        kafka,
        topicTemplate,
        settings,
        registry,
        logger,
      });
      sources.set(name, started.source);
      resources.defer(() => started.stop());
    };
    await relayOf('event_relay', own, database);

    // Each of the other outboxes, and each connector, once its service has migrated its tables.
    const prepare = async (name: 'orders' | 'inventory'): Promise<void> => {
      const spec = specs[name];
      await waitForTables(pools[name], spec.database, ['public.outbox'], {
        timeoutMs: waitMs,
        logger,
        signal: abort.signal,
      });
      await relayOf(name, pools[name], spec.database);
      if (options.registerConnectors === false) return;
      await waitForTables(pools[name], spec.database, spec.tables, {
        timeoutMs: waitMs,
        logger,
        signal: abort.signal,
      });
      await registerConnector(connect, spec, {
        connectDatabaseUrl: config.connectDatabaseUrl,
        pool: pools[name],
        logger,
        signal: abort.signal,
      });
    };
    await Promise.all([prepare('orders'), prepare('inventory')]);

    const ordersTopic = `${specs.orders.topicPrefix}.public.orders`;
    await ensureTopics(kafka, [ordersTopic, `${ordersTopic}.dlq`]);
    const transformer = createOrderEventsTransformer({
      kafka,
      pool: own,
      groupId: options.cdcGroupId ?? 'event-relay-service-cdc',
      ordersTopic,
      registry,
      logger,
    });
    await transformer.start();
    resources.defer(() => transformer.stop());

    // The console's CDC panel: the last changes of every captured table.
    const changeTopics = [specs.orders, specs.inventory].flatMap((spec) =>
      spec.tables.map((table) => `${spec.topicPrefix}.${table}`),
    );
    await ensureTopics(kafka, changeTopics);
    const recentChanges = await startRecentChanges({
      kafka,
      topics: changeTopics,
      groupId: `${options.cdcGroupId ?? 'event-relay-service-cdc'}-console`,
      logger: logger.child({ component: 'recent-changes' }),
    });
    resources.defer(() => recentChanges.stop());

    // The system's dead letters: of the saga commands and replies and of the change streams.
    // Created first: the watch only watches topics that exist, and some (the inventory items
    // changes' one, where the cache invalidator dead-letters) may not exist yet.
    const deadLetterTopics = [...Object.values(topics), ...changeTopics].map(
      (topic) => `${topic}.dlq`,
    );
    await ensureTopics(kafka, deadLetterTopics);
    const deadLetters = await startDeadLetterWatch({
      kafka,
      topics: deadLetterTopics,
      groupId: `${options.cdcGroupId ?? 'event-relay-service-cdc'}-dlq-watch`,
      logger: logger.child({ component: 'dead-letters' }),
    });
    resources.defer(() => deadLetters.stop());

    const redis = connectRedis(config, logger);
    resources.defer(() => Promise.resolve(redis.disconnect()));
    const kafkaHealth = kafkaCheck(kafka);
    resources.defer(() => kafkaHealth.close());
    const connectorNames = [specs.orders.name, specs.inventory.name];
    const http = await createHttpApp({
      config,
      logger,
      title: 'TrackOps event-relay-service',
      description:
        'Relays the outboxes of the order and inventory services and its own, registers the Debezium connectors and derives order events from the orders change stream.',
      registry,
      health: [
        postgresCheck(own),
        kafkaHealth,
        redisCheck(redis),
        connectorsCheck(connect, connectorNames, { whenMissing: 'down' }),
      ],
    });
    eventRoutes(http, { config, kafka, connect, connectorNames, sources, deadLetters });
    const connectorSpecs = [specs.orders, specs.inventory];
    cdcRoutes(http, { connect, db: own, connectors: connectorSpecs, recentChanges });
    cdcMetrics({ registry, connect, db: own, connectors: connectorSpecs, logger });
    consoleRoutes(http, options.consoleServices ?? consoleServicesFromEnv({}));
    resources.defer(() => http.close());
    return { url: await listen(http, config), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

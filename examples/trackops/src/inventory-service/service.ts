/**
 * The inventory-service: stock and reservations over HTTP, the saga participant for
 * RESERVE_INVENTORY / RELEASE_INVENTORY, cached item reads kept fresh by CDC, and the inventory
 * outbox (relayed to Kafka by the event-relay-service).
 */
import { createConnectClient } from '@trackops/cdc';
import { migrate, migrateInbox } from '@trackops/outbox';
import { migrateParticipant } from '@trackops/saga';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { kafkaCheck, connectorsCheck, postgresCheck, redisCheck } from '../shared/checks.js';
import { services, type ServiceConfig } from '../shared/config.js';
import { cdc, topics } from '../shared/contracts.js';
import { migrateService } from '../shared/database.js';
import { createHttpApp } from '../shared/http.js';
import { connectRedis, createReleaseList, listen, watchPool } from '../shared/lifecycle.js';
import { createKafka, createLogger, openDatabase } from '../shared/runtime.js';
import { ensureTopics } from '../shared/topics.js';
import { createInventoryCaches, createItemsInvalidator } from './cache.js';
import { createInventoryParticipant } from './participant.js';
import { inventoryRoutes } from './routes.js';

/** What a test (or a second instance) may change; the defaults are the shared contracts'. */
export interface InventoryServiceOptions {
  /** @defaultValue `trackops_inventory` */
  database?: string;
  /** The saga command topic. @defaultValue `inventory.commands` */
  commandTopic?: string;
  /** The participant's consumer group (and inbox consumer). @defaultValue `inventory-service` */
  participantGroupId?: string;
  /** Debezium's topic prefix of the inventory tables. @defaultValue `trackops_inventory` */
  cdcTopicPrefix?: string;
  /** The cache invalidator's consumer group. @defaultValue `inventory-service-cache` */
  cacheGroupId?: string;
  /** Prefix of the Redis keys. @defaultValue `trackops:cache:` */
  cacheKeyPrefix?: string;
  /** The Debezium connector whose state the health shows. @defaultValue `trackops-inventory` */
  connectorName?: string;
  logger?: Logger;
}

/** A started service. */
export interface RunningService {
  /** `http://host:port/` */
  url: string;
  /** Stops accepting requests, then the consumers and relays, then closes connections. */
  stop(): Promise<void>;
}

const itemsTopicSuffix = '.public.inventory_items';

export async function startInventoryService(
  config: ServiceConfig,
  options: InventoryServiceOptions = {},
): Promise<RunningService> {
  const logger = options.logger ?? createLogger(config);
  const database = options.database ?? services['inventory-service'].database;
  const commandTopic = options.commandTopic ?? topics.inventoryCommands;
  const cdcTopicPrefix =
    options.cdcTopicPrefix ?? cdc.inventory.itemsTopic.slice(0, -itemsTopicSuffix.length);
  const connectorName = options.connectorName ?? cdc.inventory.connector;
  const resources = createReleaseList(logger);
  const stop = () => resources.releaseAll();
  try {
    const pool = watchPool(await openDatabase(config, database), logger);
    resources.defer(() => pool.end());
    await migrateService(pool, 'inventory-service', new URL('./migrations/', import.meta.url));
    await migrate(pool);
    await migrateInbox(pool);
    await migrateParticipant(pool);

    const kafka = createKafka(config, logger);
    await ensureTopics(kafka, [commandTopic, `${commandTopic}.dlq`]);
    const redis = connectRedis(config, logger);
    resources.defer(() => Promise.resolve(redis.disconnect()));

    const caches = createInventoryCaches({
      redis,
      keyPrefix: options.cacheKeyPrefix ?? 'trackops:cache:',
      logger,
    });
    await ensureTopics(kafka, [`${cdcTopicPrefix}${itemsTopicSuffix}`]);
    const invalidator = createItemsInvalidator({
      kafka,
      caches,
      groupId: options.cacheGroupId ?? 'inventory-service-cache',
      topicPrefix: cdcTopicPrefix,
      logger,
    });
    await invalidator.start();
    resources.defer(() => invalidator.stop());

    const participant = createInventoryParticipant({
      pool,
      kafka,
      groupId: options.participantGroupId ?? 'inventory-service',
      commandTopic,
      logger,
    });
    await participant.start();
    resources.defer(() => participant.stop());

    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    new Gauge({
      name: 'trackops_inventory_cache',
      help: 'Cache statistics of the inventory caches (hits, misses, fills, invalidations …).',
      labelNames: ['namespace', 'stat'],
      registers: [registry],
      collect() {
        for (const cache of [caches.items, caches.pages]) {
          for (const [stat, value] of Object.entries(cache.stats())) {
            if (typeof value === 'number') this.set({ namespace: cache.namespace, stat }, value);
          }
        }
      },
    });

    const kafkaHealth = kafkaCheck(kafka);
    resources.defer(() => kafkaHealth.close());
    const http = await createHttpApp({
      config,
      logger,
      title: 'TrackOps inventory-service',
      description: 'Stock, reservations and the inventory saga participant.',
      registry,
      health: [
        postgresCheck(pool),
        kafkaHealth,
        redisCheck(redis),
        // The event-relay-service registers the connector, and may start after this service.
        connectorsCheck(createConnectClient({ url: config.connectUrl }), [connectorName], {
          whenMissing: 'up',
        }),
      ],
    });
    inventoryRoutes(http, { config, pool, caches });
    resources.defer(() => http.close());
    return { url: await listen(http, config), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

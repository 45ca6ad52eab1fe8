/**
 * The order-service: orders over HTTP, placed by the order saga (inventory, payment,
 * confirmation), read through Redis caches kept correct by the orders change stream.
 *
 * `startOrderService` wires it all and returns once it listens; `stop()` releases everything in
 * reverse order of acquisition: HTTP server, saga runtime, payment participant, cache
 * invalidator, database pool, Redis.
 */
import { createConnectClient } from '@trackops/cdc';
import { migrate as migrateOutbox } from '@trackops/outbox';
import { createSagaRuntime, migrateSagas, migrateParticipant } from '@trackops/saga';
import type { Logger } from 'pino';
import { z } from 'zod';
import { cdc, topics } from '../shared/contracts.js';
import { databaseUrlFor, services, type ServiceConfig } from '../shared/config.js';
import { migrateService } from '../shared/database.js';
import { createHttpApp } from '../shared/http.js';
import { createKafka, createLogger, openDatabase } from '../shared/runtime.js';
import { connectorsCheck, kafkaCheck, postgresCheck, redisCheck } from '../shared/checks.js';
import { connectRedis, createReleaseList, listen, watchPool } from '../shared/lifecycle.js';
import { ensureTopics } from '../shared/topics.js';
import { watchOrderCache } from './cacheWatch.js';
import { createOrderMetrics } from './metrics.js';
import { createOrderCacheInvalidator, createOrderCaches } from './orderCaches.js';
import {
  createPaymentParticipant,
  paymentSchema,
  paymentSettingsFromEnv,
  type PaymentSettings,
} from './payment.js';
import { registerOrderRoutes } from './routes.js';
import { defineOrderSagas } from './sagas.js';
import { orderCommands, prefixedTopic } from './topics.js';

const identifier = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case identifier');

/** Options of {@link startOrderService}: where one deployment lives. Tests override them. */
export const orderServiceOptionsSchema = z
  .object({
    /** The service's database (created when missing). @defaultValue `'trackops_orders'` */
    database: identifier.default(services['order-service'].database),
    /**
     * Puts the saga command and reply topics, and the consumer groups, under `<prefix>.`; the
     * participants (inventory-service) must use the same. @defaultValue `''` (the contracts' topics)
     */
    topicPrefix: z
      .string()
      .regex(/^[A-Za-z0-9._-]{0,100}$/)
      .default(''),
    /**
     * The Debezium connector's `topic.prefix`: the cache follows `<prefix>.public.orders` and
     * `<prefix>.public.order_items`. @defaultValue `'trackops_orders'`
     */
    cdcTopicPrefix: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,200}$/)
      .default(cdc.orders.database),
    /** The connector whose state the health reports. @defaultValue `'trackops-orders'` */
    connector: z.string().min(1).default(cdc.orders.connector),
    /** Prefix of the cache's Redis keys. @defaultValue `'trackops:cache:'` */
    redisKeyPrefix: z.string().default('trackops:cache:'),
    /** The payment gateway simulation. @defaultValue from `PAYMENT_*` variables */
    payment: z.custom<PaymentSettings>((value) => typeof value === 'object').optional(),
    /** @defaultValue a pino logger from the configuration */
    logger: z
      .custom<Logger>((value) => typeof (value as Logger | undefined)?.child === 'function')
      .optional(),
  })
  .strict();
export type OrderServiceOptions = z.input<typeof orderServiceOptionsSchema>;

/** A started order-service. */
export interface RunningOrderService {
  /** Where it listens, e.g. `http://127.0.0.1:8081/`. */
  url: string;
  /** Graceful stop. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the order-service: creates and migrates its database, starts the saga runtime, the
 * payment participant and the cache invalidator, then listens on `config.port`.
 *
 * @throws Error naming a bad option; whatever started before a failure is stopped again.
 */
export async function startOrderService(
  config: ServiceConfig,
  options: OrderServiceOptions = {},
): Promise<RunningOrderService> {
  const parsed = orderServiceOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`startOrderService: ${issue.path.join('.')}: ${issue.message}`);
  }
  const settings = parsed.data;
  const logger = settings.logger ?? createLogger(config);
  const payment = settings.payment ?? paymentSettingsFromEnv();
  const scoped = (group: string) => prefixedTopic(settings.topicPrefix, group);

  // Everything acquired is released in reverse order, by stop() or at once on a failed start.
  const resources = createReleaseList(logger);
  try {
    const redis = connectRedis(config, logger);
    // QUIT would wait in the offline queue of a client that is not connected.
    resources.defer(async () => {
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    });

    const pool = watchPool(
      await openDatabase(
        // Explicitly on `settings.database`: tests start the service on databases of their own.
        { ...config, serviceDatabaseUrl: databaseUrlFor(config.databaseUrl, settings.database) },
        settings.database,
      ),
      logger,
    );
    resources.defer(() => pool.end());
    await migrateService(pool, 'order-service', new URL('./migrations/', import.meta.url));
    await migrateOutbox(pool);
    await migrateSagas(pool);
    await migrateParticipant(pool, { schema: paymentSchema });

    const kafka = createKafka(config, logger);
    const commands = orderCommands(settings.topicPrefix);
    const consumed = [
      commands.replyTopic,
      commands.processPayment.topic,
      `${settings.cdcTopicPrefix}.public.orders`,
      `${settings.cdcTopicPrefix}.public.order_items`,
    ];
    // The consumers' topics and their dead-letter topics (the connector's exist only after its
    // first change), and the inventory commands this service sends.
    await ensureTopics(kafka, [
      ...consumed,
      ...consumed.map((topic) => `${topic}.dlq`),
      commands.reserveInventory.topic,
    ]);

    const caches = createOrderCaches({
      redis,
      keyPrefix: settings.redisKeyPrefix,
      logger: logger.child({ component: 'cache' }),
    });
    const invalidator = createOrderCacheInvalidator({
      kafka,
      caches,
      topicPrefix: settings.cdcTopicPrefix,
      groupId: `order-service-cache.${settings.cdcTopicPrefix}`,
      logger: logger.child({ component: 'cache-invalidator' }),
    });
    await invalidator.start();
    resources.defer(() => invalidator.stop());

    const { participant, breaker } = createPaymentParticipant({
      pool,
      kafka,
      commands,
      groupId: scoped('order-service-payment'),
      settings: payment,
      logger: logger.child({ component: 'payment' }),
    });
    await participant.start();
    resources.defer(() => participant.stop());

    const sagas = defineOrderSagas(commands);
    const runtime = createSagaRuntime({
      pool,
      kafka,
      sagas: [sagas.order, sagas.cancel],
      replyTopic: commands.replyTopic,
      groupId: scoped(`saga-${topics.orderSagaReplies}`),
      logger: logger.child({ component: 'saga' }),
    });
    await runtime.start();
    resources.defer(() => runtime.stop());

    const metrics = createOrderMetrics({ runtime, pool, caches, breaker, logger });
    resources.defer(() => Promise.resolve(metrics.stop()));
    const cacheWatch = watchOrderCache({
      invalidator,
      caches,
      pool,
      registry: metrics.registry,
      logger: logger.child({ component: 'cache-watch' }),
    });
    resources.defer(() => cacheWatch.stop());
    const kafkaHealth = kafkaCheck(kafka);
    resources.defer(() => kafkaHealth.close());
    const app = await createHttpApp({
      config,
      logger,
      title: 'TrackOps order-service',
      description: 'Orders placed by a saga (inventory, payment), read through a CDC-kept cache.',
      registry: metrics.registry,
      health: [
        postgresCheck(pool),
        kafkaHealth,
        redisCheck(redis),
        // The event-relay-service registers the connector and starts after this service: not
        // registered yet is reported, not a failure. FAILED (or a FAILED task) is.
        connectorsCheck(
          createConnectClient({ url: config.connectUrl, timeoutMs: 2_000 }),
          [settings.connector],
          { whenMissing: 'up' },
        ),
      ],
    });
    resources.defer(() => app.close());
    registerOrderRoutes(app, { config, pool, runtime, sagas, caches, cacheWatch, logger });
    const url = await listen(app, config);

    let stopping: Promise<void> | undefined;
    return { url, stop: () => (stopping ??= resources.releaseAll()) };
  } catch (error) {
    await resources.releaseAll();
    throw error;
  }
}

/**
 * The order caches on Redis, and the CDC invalidator that keeps them correct:
 *
 * - `orders` — an order without its items, by id; **warmed** from each change of its row in
 *   `public.orders` (the new image, version-guarded by the LSN).
 * - `orders.items` — an order's items, by order id; invalidated by changes of `order_items`.
 * - `orders.pages` — list pages, by their query; tagged `all` (no customer filter) or
 *   `customer:<id>`, and a change of an order invalidates both tags.
 *
 * Reads never fail because of Redis: the cache answers from the database when Redis errs,
 * times out or its breaker is open.
 */
import { column, defineTable } from '@trackops/cdc';
import {
  bindTable,
  createCache,
  createCacheInvalidator,
  invalidateEntries,
  invalidateTagged,
  warmEntries,
  type Cache,
  type CacheInvalidator,
  type CacheStats,
} from '@trackops/cache';
import type { Logger } from '@trackops/core';
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import {
  orderStatus,
  type ListQuery,
  type OrderHeader,
  type OrderItemView,
  type OrderPage,
} from './model.js';
import { orderHeaderOf } from './repository.js';

/** The `orders` table as Debezium streams it (the columns the cache needs). */
export const ordersTable = defineTable({
  table: 'orders',
  key: ['id'],
  columns: {
    id: column.uuid(),
    customer_id: column.string(),
    status: orderStatus,
    total_amount: column.decimal({ scale: 2 }),
    shipping_address: column.string().nullable(),
    cancellation_reason: column.string().nullable(),
    saga_id: column.uuid(),
    created_at: column.zonedTimestamp(),
    updated_at: column.zonedTimestamp(),
  },
});
type ChangedOrder = ReturnType<typeof ordersTable.rowSchema.parse>;

export const orderItemsTable = defineTable({
  table: 'order_items',
  key: ['order_id', 'line'],
  columns: { order_id: column.uuid(), line: column.int32() },
});

/** The cache key of a list page. */
export function pageKey(query: ListQuery): string {
  return [
    `p${query.page}`,
    `s${query.size}`,
    `st:${query.status ?? '*'}`,
    `c:${query.customerId === undefined ? '*' : encodeURIComponent(query.customerId)}`,
  ].join('|');
}

/** The tag a list page is invalidated by. */
export function pageTag(query: ListQuery): string {
  return query.customerId === undefined
    ? 'all'
    : `customer:${encodeURIComponent(query.customerId)}`;
}

export interface OrderCaches {
  orders: Cache<OrderHeader>;
  items: Cache<OrderItemView[]>;
  pages: Cache<OrderPage>;
  /** Stats per cache, by namespace (GET /actuator/cache). */
  stats(): Record<string, CacheStats>;
  /** Invalidates every order cache (DELETE /actuator/cache). */
  clear(): Promise<Record<string, number>>;
}

export function createOrderCaches(options: {
  redis: Redis;
  keyPrefix: string;
  logger: Logger;
}): OrderCaches {
  const common = {
    redis: options.redis,
    keyPrefix: options.keyPrefix,
    logger: options.logger,
    // A Redis failure is counted in the stats; reads go to the database.
    onError: (error: Error) => options.logger.debug({ err: error }, 'order cache: redis failed'),
  };
  const orders = createCache<OrderHeader>({ ...common, namespace: 'orders', ttlMs: 300_000 });
  const items = createCache<OrderItemView[]>({
    ...common,
    namespace: 'orders.items',
    ttlMs: 300_000,
  });
  // Pages are invalidated by every change of any order they might show: keep them briefly.
  const pages = createCache<OrderPage>({ ...common, namespace: 'orders.pages', ttlMs: 60_000 });
  const all = [orders, items, pages] as const;
  return {
    orders,
    items,
    pages,
    stats: () => Object.fromEntries(all.map((cache) => [cache.namespace, cache.stats()])),
    clear: async () => {
      const cleared = await Promise.all(all.map((cache) => cache.clear()));
      return Object.fromEntries(all.map((cache, index) => [cache.namespace, cleared[index]!]));
    },
  };
}

/**
 * The CDC side: changes of `orders` warm the order's entry and invalidate the pages that may
 * show it; changes of `order_items` invalidate the order's items.
 */
export function createOrderCacheInvalidator(options: {
  kafka: Kafka;
  caches: OrderCaches;
  /** The connector's `topic.prefix` (`trackops_orders`). */
  topicPrefix: string;
  groupId: string;
  logger: Logger;
}): CacheInvalidator {
  const { caches } = options;
  return createCacheInvalidator({
    kafka: options.kafka,
    groupId: options.groupId,
    topicPrefix: options.topicPrefix,
    tables: {
      'public.orders': bindTable(ordersTable, [
        warmEntries<ChangedOrder, OrderHeader>(caches.orders, {
          key: (row) => row.id,
          value: orderHeaderOf,
        }),
        invalidateTagged(caches.pages, {
          tags: (row) => ['all', `customer:${encodeURIComponent(row.customer_id)}`],
        }),
      ]),
      'public.order_items': bindTable(orderItemsTable, [
        invalidateEntries(caches.items, { keys: (row) => row.order_id }),
      ]),
    },
    // A group that is new (first deployment) reads the stream from the start, so no change
    // between the deployment and the group's first assignment is missed; warming is
    // version-guarded, so the replay ends on the newest images.
    fromBeginning: true,
    consumerConfig: { maxWaitTimeInMs: 100 },
    logger: options.logger,
    onError: (error) => options.logger.warn({ err: error }, 'order cache invalidation failed'),
  });
}

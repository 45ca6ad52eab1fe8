/**
 * Cached reads of items (Redis, `@trackops/cache`), kept fresh by the change stream of
 * `inventory_items`: every change warms the item's entries (by id and by SKU) with the new row
 * image, version-guarded by its LSN, and invalidates the cached pages. Redis trouble never
 * fails a read: the cache answers from the database then.
 */
import {
  bindTable,
  createCache,
  createCacheInvalidator,
  invalidateTagged,
  warmEntries,
  type Cache,
  type CacheInvalidator,
} from '@trackops/cache';
import { column, defineTable, type Table } from '@trackops/cdc';
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { toItem } from './items.js';
import type { Item } from './schemas.js';

/** `inventory_items` as Debezium sends it (see migrations/001_inventory_tables.sql). */
export const inventoryItemsTable = defineTable({
  table: 'inventory_items',
  key: ['id'],
  columns: {
    id: column.uuid(),
    sku: column.string(),
    name: column.string(),
    quantity: column.int32(),
    reserved: column.int32(),
    low_stock_threshold: column.int32(),
    price: column.decimal({ scale: 2 }),
    created_at: column.zonedTimestamp(),
    updated_at: column.zonedTimestamp(),
  },
});

/** A decoded row image of `inventory_items`. */
type ItemImage = typeof inventoryItemsTable extends Table<infer Row, unknown> ? Row : never;

/** A cached page of the item list. */
export interface ItemPage {
  items: Item[];
  total: number;
}

/** The tag every cached page carries: any item change invalidates all pages. */
const pagesTag = 'items';

export const itemKeys = {
  byId: (id: string) => `id:${id}`,
  bySku: (sku: string) => `sku:${sku}`,
  page: (page: number, size: number) => `page:${page}:${size}`,
};

/** The item caches of one service instance. */
export interface InventoryCaches {
  items: Cache<Item>;
  pages: Cache<ItemPage>;
  /**
   * Read-your-writes for the API's own writes: invalidates the items' entries and the pages once
   * the write committed (the CDC invalidation follows anyway, moments later).
   */
  forget(items: ReadonlyArray<{ id: string; sku: string }>): Promise<void>;
}

export function createInventoryCaches(options: {
  redis: Redis;
  keyPrefix: string;
  logger: Logger;
}): InventoryCaches {
  const common = {
    redis: options.redis,
    keyPrefix: options.keyPrefix,
    ttlMs: 5 * 60_000,
    logger: options.logger,
  };
  const items = createCache<Item>({ ...common, namespace: 'inventory', negativeTtlMs: 5_000 });
  const pages = createCache<ItemPage>({ ...common, namespace: 'inventory.pages', ttlMs: 60_000 });
  return {
    items,
    pages,
    async forget(changed) {
      try {
        await items.invalidate(
          changed.flatMap((item) => [itemKeys.byId(item.id), itemKeys.bySku(item.sku)]),
        );
        await pages.invalidateTags([pagesTag]);
      } catch (error) {
        // Redis is down: the change stream invalidates once it is back (it retries until then).
        options.logger.warn({ err: error }, 'cache not invalidated by the write');
      }
    },
  };
}

/** Reads through the caches. */
export function cachedItem(
  caches: InventoryCaches,
  idOrSku: string,
  load: () => Promise<Item | undefined>,
) {
  const key = /^[0-9a-f]{8}-/i.test(idOrSku)
    ? itemKeys.byId(idOrSku.toLowerCase())
    : itemKeys.bySku(idOrSku);
  return caches.items.getOrLoad(key, load);
}

export function cachedPage(
  caches: InventoryCaches,
  page: number,
  size: number,
  load: () => Promise<ItemPage>,
): Promise<ItemPage | undefined> {
  return caches.pages.getOrLoad(itemKeys.page(page, size), load, { tags: [pagesTag] });
}

/** The CDC consumer that warms and invalidates the caches from `<topicPrefix>.public.inventory_items`. */
export function createItemsInvalidator(options: {
  kafka: Kafka;
  caches: InventoryCaches;
  groupId: string;
  topicPrefix: string;
  logger: Logger;
}): CacheInvalidator {
  const { items, pages } = options.caches;
  return createCacheInvalidator({
    kafka: options.kafka,
    groupId: options.groupId,
    topicPrefix: options.topicPrefix,
    // A new group reads the whole topic: warming is version-guarded, so old changes are harmless.
    fromBeginning: true,
    consumerConfig: { maxWaitTimeInMs: 100 },
    logger: options.logger,
    tables: {
      'public.inventory_items': bindTable(inventoryItemsTable, [
        warmEntries<ItemImage, Item>(items, { key: (row) => itemKeys.byId(row.id), value: toItem }),
        warmEntries<ItemImage, Item>(items, {
          key: (row) => itemKeys.bySku(row.sku),
          value: toItem,
        }),
        invalidateTagged(pages, { tags: () => pagesTag }),
      ]),
    },
  });
}

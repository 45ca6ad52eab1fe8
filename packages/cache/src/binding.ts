/**
 * Declares which cache entries a table's rows affect, and what a change does to them: warm an
 * entry with the row's new image, invalidate entries (a row's own, or derived ones such as
 * lists and per-parent collections), or invalidate tags. The invalidator applies a binding to
 * every change event of its table.
 */
import { isUnavailable, type ChangeEvent, type Table, type UntypedRow } from '@trackops/cdc';
import type { Cache } from './cache.js';

/** What one change event offers a target: the row images and the change's position. */
export interface ChangeImages<Row> {
  /** Every image of the change: `before` (when the event has it) and `after`. */
  readonly images: readonly Row[];
  /** The new image (insert, update, snapshot read), complete: no TOAST placeholder in it. */
  readonly newImage: Row | undefined;
  /** The change's LSN (`source.lsn`); null for a change without one. */
  readonly version: bigint | null;
}

/**
 * One effect of a table's changes on one cache; made by {@link warmEntries},
 * {@link invalidateEntries} or {@link invalidateTagged}.
 *
 * @typeParam Row - The row type of the bound table.
 */
export interface CacheTarget<Row> {
  /** Brand recognised by {@link bindTable}. */
  readonly kind: 'cache:target';
  /** The namespace of the target cache (for logs and events). */
  readonly namespace: string;
  // Methods rather than function properties: a target of a typed table must fit where any
  // target is expected (method parameters are checked bivariantly).
  /** Applies one change; the keys it touched. @internal */
  apply(change: ChangeImages<Row>): Promise<readonly string[]>;
  /** Invalidates the whole target cache (TRUNCATE). @internal */
  clear(version: bigint | null): Promise<void>;
}

/** A list of keys (or one, or none) from a row image. */
export type KeysOf<Row> = (row: Row) => string | readonly string[] | null | undefined;

function keyList<Row>(keysOf: KeysOf<Row>, rows: readonly Row[]): string[] {
  const keys = new Set<string>();
  for (const row of rows) {
    const found = keysOf(row);
    if (found === null || found === undefined) continue;
    if (typeof found === 'string') keys.add(found);
    else for (const key of found) keys.add(key);
  }
  return [...keys];
}

/**
 * Warms the row's own entry with its new image: inserts, updates and snapshot reads write the
 * value (version-guarded by the change's LSN); deletes invalidate. An update that moves the row
 * to another key (say the key is built from a column that changed) invalidates the old key.
 * A new image with an unchanged TOAST column (`REPLICA IDENTITY DEFAULT`) is incomplete and
 * invalidates instead.
 *
 * @param cache - The cache of the row's entries.
 * @param spec - `key` of a row, and the `value` to cache from a row: build it exactly as the
 *   loader does (`(row) => row` if the loader returns the decoded row as is), or warmed entries
 *   will differ from loaded ones.
 *
 * @example
 * ```ts
 * warmEntries(orderCache, { key: (row) => String(row.id), value: (row) => toOrder(row) })
 * ```
 */
export function warmEntries<Row, V>(
  cache: Cache<V>,
  spec: { key: (row: Row) => string; value: (row: Row) => V },
): CacheTarget<Row> {
  const { value } = spec;
  return {
    kind: 'cache:target',
    namespace: cache.namespace,
    apply: async ({ images, newImage, version }) => {
      const keys = keyList(spec.key, images);
      if (newImage === undefined || version === null) {
        await cache.invalidate(keys, version);
        return keys;
      }
      const key = spec.key(newImage);
      const old = keys.filter((candidate) => candidate !== key);
      if (old.length > 0) await cache.invalidate(old, version);
      await cache.warm(key, value(newImage), version);
      return keys.includes(key) ? keys : [...keys, key];
    },
    clear: async (version) => void (await cache.clear(version)),
  };
}

/**
 * Invalidates entries a row's change affects: its own entry, and derived ones — a list, a
 * parent's collection (`customer:7:orders`), a page. Keys come from every image of the change,
 * so an update that moves a row from one parent to another invalidates both collections; that
 * needs the old image, hence `REPLICA IDENTITY FULL` on the table.
 *
 * @param cache - The cache holding those entries.
 * @param spec - `keys` of a row image.
 *
 * @example
 * ```ts
 * invalidateEntries(orderItemsCache, { keys: (item) => `order:${item.order_id}` })
 * ```
 */
export function invalidateEntries<Row, V>(
  cache: Cache<V>,
  spec: { keys: KeysOf<Row> },
): CacheTarget<Row> {
  return {
    kind: 'cache:target',
    namespace: cache.namespace,
    apply: async ({ images, version }) => {
      const keys = keyList(spec.keys, images);
      if (keys.length > 0) await cache.invalidate(keys, version);
      return keys;
    },
    clear: async (version) => void (await cache.clear(version)),
  };
}

/**
 * Invalidates the entries carrying tags a row's change affects (see `GetOrLoadOptions.tags`).
 *
 * @param cache - The cache whose entries carry the tags.
 * @param spec - `tags` of a row image.
 */
export function invalidateTagged<Row, V>(
  cache: Cache<V>,
  spec: { tags: KeysOf<Row> },
): CacheTarget<Row> {
  return {
    kind: 'cache:target',
    namespace: cache.namespace,
    apply: async ({ images, version }) => {
      const tags = keyList(spec.tags, images);
      if (tags.length > 0) await cache.invalidateTags(tags, version);
      return tags.map((tag) => `#${tag}`);
    },
    clear: async (version) => void (await cache.clear(version)),
  };
}

/**
 * A table bound to its cache targets; pass it in the invalidator's `tables`.
 *
 * @typeParam Row - The row type of the table.
 */
export interface CacheBinding<Row = unknown> {
  /** Brand recognised by `createCacheInvalidator`. */
  readonly kind: 'cache:binding';
  /** The declared table (typed, validated rows), or undefined for untyped rows. */
  readonly table: Table<Row, unknown> | undefined;
  /** What the table's changes do. */
  readonly targets: ReadonlyArray<CacheTarget<Row>>;
}

/**
 * Binds a table declared with `defineTable` (from `@trackops/cdc`) to the cache entries its
 * changes affect.
 *
 * @example
 * ```ts
 * bindTable(ordersTable, [
 *   warmEntries(orders, { key: (row) => String(row.id), value: toOrder }),
 *   invalidateEntries(orderLists, { keys: (row) => ['all', `customer:${row.customer_id}`] }),
 * ])
 * ```
 */
export function bindTable<Row, Key>(
  table: Table<Row, Key>,
  targets: ReadonlyArray<CacheTarget<Row>>,
): CacheBinding<Row> {
  return { kind: 'cache:binding', table: table, targets };
}

/** Binds a topic without a table declaration: rows are Debezium's untyped JSON objects. */
export function bindRows(
  targets: ReadonlyArray<CacheTarget<UntypedRow>>,
): CacheBinding<UntypedRow> {
  return { kind: 'cache:binding', table: undefined, targets };
}

/** Whether a row image has every column (no TOAST unavailable-value placeholder). */
function complete(row: unknown): boolean {
  if (typeof row !== 'object' || row === null) return true;
  for (const value of Object.values(row)) if (isUnavailable(value)) return false;
  return true;
}

/**
 * The images and version of a change, or `'truncate'`. @internal
 */
export function changeImages<Row>(
  event: ChangeEvent<Row, unknown>,
): ChangeImages<Row> | 'truncate' {
  const version = event.source.lsn;
  switch (event.op) {
    case 'r':
    case 'c':
      return {
        images: [event.after],
        newImage: complete(event.after) ? event.after : undefined,
        version,
      };
    case 'u':
      return {
        images: event.before === null ? [event.after] : [event.before, event.after],
        newImage: complete(event.after) ? event.after : undefined,
        version,
      };
    case 'd':
      return { images: [event.before], newImage: undefined, version };
    case 't':
      return 'truncate';
  }
}

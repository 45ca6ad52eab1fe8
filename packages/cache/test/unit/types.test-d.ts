/**
 * Type-level tests: values are typed by the cache, binding callbacks by the table's row, and a
 * warm target's value must fit its cache. Checked by `pnpm typecheck`.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { column, defineTable, type UntypedRow } from '@trackops/cdc';
import {
  bindRows,
  bindTable,
  createCache,
  invalidateEntries,
  warmEntries,
  type CacheBinding,
  type RedisClient,
} from '@trackops/cache';

// The unit project also runs this file: a stand-in that passes the option check, never called.
const redis = {
  options: {},
  getBuffer: () => undefined,
  callBuffer: () => undefined,
  scan: () => undefined,
} as unknown as RedisClient;

interface Order {
  id: number;
  customerId: number;
}

const orders = defineTable({
  table: 'orders',
  key: ['id'],
  columns: { id: column.int32(), customer_id: column.int32() },
});
const orderCache = createCache<Order>({ redis, namespace: 'orders' });
const lists = createCache<number[]>({ redis, namespace: 'lists' });

describe('types', () => {
  it('types values by the cache', () => {
    // Functions never called: only their types are checked.
    const read = () => orderCache.getOrLoad('1', () => Promise.resolve({ id: 1, customerId: 2 }));
    expectTypeOf(read).returns.toEqualTypeOf<Promise<Order | undefined>>();
    const many = () => orderCache.mget(['1']);
    expectTypeOf(many).returns.toEqualTypeOf<Promise<Array<Order | undefined>>>();
    // @ts-expect-error a loader of another type
    const wrong = () => orderCache.getOrLoad('1', () => Promise.resolve('not an order'));
    void wrong;
  });

  it('types binding callbacks by the table’s row', () => {
    const binding = bindTable(orders, [
      warmEntries(orderCache, {
        key: (row) => String(row.id),
        value: (row) => ({ id: row.id, customerId: row.customer_id }),
      }),
      invalidateEntries(lists, {
        keys: (row) => {
          expectTypeOf(row).toEqualTypeOf<{ id: number; customer_id: number }>();
          return String(row.customer_id);
        },
      }),
    ]);
    expectTypeOf(binding).toEqualTypeOf<CacheBinding<{ id: number; customer_id: number }>>();
    expectTypeOf(
      bindRows([invalidateEntries(lists, { keys: (row) => String(row['id']) })]),
    ).toEqualTypeOf<CacheBinding<UntypedRow>>();
    bindTable(orders, [
      // @ts-expect-error the warmed value must be an Order
      warmEntries(orderCache, { key: (row) => String(row.id), value: (row) => row.id }),
    ]);
    const rows = createCache<{ id: number; customer_id: number }>({ redis, namespace: 'rows' });
    bindTable(orders, [warmEntries(rows, { key: (row) => String(row.id), value: (row) => row })]);
  });
});

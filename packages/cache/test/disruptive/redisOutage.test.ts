/**
 * Redis stopped mid-run and restarted (the stack's own server, so this file runs alone in the
 * disruptive project): readers and writers keep going, callers see no error, reads are served
 * by the database meanwhile, and once Redis is back and the change stream drained no entry is
 * stale.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { outage } from '@trackops/stack/test-support';
import { stackEndpoints, uniqueName } from '@trackops/testkit';
import {
  bindTable,
  checkConsistency,
  createCache,
  createCacheInvalidator,
  warmEntries,
  invalidateEntries,
  type Cache,
  type CacheInvalidator,
} from '@trackops/cache';
import {
  ordersFixture,
  ordersTable,
  toOrder,
  type Order,
  type OrdersFixture,
} from '../integration/support/ordersFixture.js';

describe('Redis stopped and restarted under load', () => {
  const stack = stackEndpoints();
  // A client that keeps reconnecting quickly and fails fast while Redis is away.
  const redis = new Redis(stack.REDIS_URL, {
    maxRetriesPerRequest: 1,
    retryStrategy: () => 100,
  });
  redis.on('error', () => undefined);
  const keyPrefix = `${uniqueName('cacheoutage')}:`;
  let fx: OrdersFixture;
  let orders: Cache<Order>;
  let lists: Cache<number[]>;
  let invalidator: CacheInvalidator;
  let applied = 0;

  beforeAll(async () => {
    fx = await ordersFixture(stack, 'cache_outage');
    const options = {
      redis,
      keyPrefix,
      commandTimeoutMs: 100,
      breaker: { failureThreshold: 3, openMs: 500 },
    };
    orders = createCache<Order>({ ...options, namespace: 'orders' });
    lists = createCache<number[]>({ ...options, namespace: 'lists' });
    invalidator = createCacheInvalidator({
      kafka: fx.kafka,
      groupId: uniqueName('cache_outage'),
      topicPrefix: fx.prefix,
      fromBeginning: true,
      consumerConfig: { maxWaitTimeInMs: 50 },
      retry: { initialMs: 100, maxMs: 500 },
      tables: {
        'public.orders': bindTable(ordersTable, [
          warmEntries(orders, { key: (row) => String(row.id), value: toOrder }),
          invalidateEntries(lists, { keys: (row) => String(row.customer_id) }),
        ]),
      },
    });
    invalidator.on('cache:change:applied', () => applied++);
    await invalidator.start();
  }, 120_000);

  afterAll(async () => {
    await invalidator?.stop();
    await fx?.drop();
    const keys = await redis.keys(`${keyPrefix}*`).catch(() => []);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('serves every read from the database while Redis is down, and leaves nothing stale after', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => i + 1);
    const customers = [1, 2, 3];
    await fx.db.pool.query(
      `insert into orders select id, 1 + id % 3, 'new', 1 from unnest($1::int[]) as id`,
      [ids],
    );
    await fx.db.pool.query(`insert into orders values (0, 99, 'sentinel', 1)`);
    await expect.poll(() => applied, { timeout: 30_000 }).toBeGreaterThanOrEqual(ids.length + 1);

    const pick = <T>(list: readonly T[]) => list[Math.floor(Math.random() * list.length)]!;
    const callerErrors: unknown[] = [];
    let reads = 0;
    let writes = 0;
    let running = true;
    const reader = async () => {
      while (running) {
        try {
          const id = pick(ids);
          const order = await orders.getOrLoad(String(id), () => fx.loadOrder(id));
          if (order?.id !== id) throw new Error(`read order ${id}, got ${JSON.stringify(order)}`);
          const customer = pick(customers);
          await lists.getOrLoad(String(customer), () => fx.loadCustomerOrders(customer));
          reads++;
        } catch (error) {
          callerErrors.push(error);
        }
        await sleep(2);
      }
    };
    const writer = async () => {
      while (running) {
        await fx.db.pool.query(
          `update orders set version = version + 1, status = $2, customer_id = $3 where id = $1`,
          [pick(ids), pick(['paid', 'shipped']), pick(customers)],
        );
        writes++;
        await sleep(20);
      }
    };
    const load = Promise.all([reader(), reader(), reader(), writer(), writer()]);
    await sleep(1_500);
    const beforeOutage = { ...orders.stats() };
    const readsBefore = reads;
    const outageStarted = performance.now();
    await outage('redis', 3_000);
    const outageMs = performance.now() - outageStarted;
    const readsDuring = reads - readsBefore;
    await sleep(3_000); // Redis back: the breaker closes, held changes are applied
    running = false;
    await load;

    const sentinel = applied;
    await fx.db.pool.query(`update orders set version = version + 1 where id = 0`);
    await expect.poll(() => applied, { timeout: 30_000 }).toBeGreaterThan(sentinel);
    await expect
      .poll(async () => (await invalidator.consumer.lag()).total, { timeout: 30_000 })
      .toBe(0);

    const stats = orders.stats();
    const report = await checkConsistency(orders, {
      load: (key) => fx.loadOrder(Number(key)),
      keys: ids.map(String),
    });
    const listReport = await checkConsistency(lists, {
      load: (key) => fx.loadCustomerOrders(Number(key)),
      keys: customers.map(String),
    });
    console.log(
      `outage of ${outageMs.toFixed(0)} ms: ${reads} reads (${readsDuring} during the outage), ${writes} writes; ` +
        `fallbacks ${stats.fallbacks - beforeOutage.fallbacks}, Redis errors ${stats.errors}, bypassed ${stats.bypassed}, breaker opened ${stats.breakerOpened}×; ` +
        `after: ${report.checked} orders checked (${report.missing} not cached), ${report.stale.length + listReport.stale.length} stale`,
    );
    expect(callerErrors).toEqual([]);
    expect(readsDuring).toBeGreaterThan(50);
    expect(stats.fallbacks - beforeOutage.fallbacks).toBeGreaterThan(0);
    expect(stats.breakerOpened).toBeGreaterThanOrEqual(1);
    expect(stats.breaker).toBe('closed');
    expect(report.stale).toEqual([]);
    expect(listReport.stale).toEqual([]);
    // Redis works again: a hit after a load.
    await orders.getOrLoad('1', () => fx.loadOrder(1));
    const hitsBefore = orders.stats().hits;
    await orders.getOrLoad('1', () => fx.loadOrder(1));
    expect(orders.stats().hits).toBe(hitsBefore + 1);
  });
});

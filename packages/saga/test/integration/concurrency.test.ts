import type { SagaRuntime } from '@trackops/saga';
import { stackEndpoints } from '@trackops/testkit';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { auditSagas } from '../support/audit.js';
import { SagaWorld } from '../support/world.js';

const stack = stackEndpoints();

/** Places `count` orders, `concurrency` at a time, through the runtimes in turn. */
async function placeOrders(
  world: SagaWorld,
  runtimes: readonly SagaRuntime[],
  count: number,
  concurrency: number,
  order: (n: number) => {
    items: Array<{ sku: string; quantity: number }>;
    fault?: 'decline' | 'confirm' | undefined;
  },
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const n = next++;
      const orderId = uuidv7();
      const { items, fault } = order(n);
      if (fault === 'decline') world.faults.declinePayment.add(orderId);
      if (fault === 'confirm') world.faults.confirmFails.add(orderId);
      await world.placeOrder(runtimes[n % runtimes.length]!, { orderId, items, amount: `${n}` });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function allFinal(world: SagaWorld, timeout: number): Promise<void> {
  const unfinished = async () =>
    (
      await world.db.pool.query<Record<string, unknown>>(
        `select s.id, s.status, s.step, s.phase, s.attempt, s.waiting, s.deadline_at, s.data->>'orderId' as order_id,
                (select string_agg(l.step || ':' || l.phase || ':' || l.event || ':' || l.attempt, ' ' order by l.id)
                   from orders.saga_steps l where l.saga_id = s.id) as log
           from orders.saga_instances s where status not in ('COMPLETED', 'COMPENSATED')`,
      )
    ).rows;
  try {
    await expect.poll(async () => (await unfinished()).length, { timeout, interval: 200 }).toBe(0);
  } catch (error) {
    // Show what the stuck sagas wait for, not only how many there are.
    console.error('unfinished sagas', (await unfinished()).slice(0, 5));
    throw error;
  }
}

/** Replies the sagas received and applied (the rest were absorbed as duplicates). */
async function repliesApplied(world: SagaWorld): Promise<number> {
  const { rows } = await world.db.pool.query<{ n: number }>(
    `select count(*)::int as n from orders.saga_steps where event in ('reply-succeeded', 'reply-failed')`,
  );
  return rows[0]!.n;
}

describe('concurrent sagas on the real stack', () => {
  it('two runtimes in one group, the second joining mid-flow, both polling the same due retries: no transition applied twice', async () => {
    const stock = { A: 100_000 };
    // Step timeouts stay long (replies on this shared machine can take seconds): the deadlines
    // both pollers race for are the backoffs of a local step that fails and is retried.
    const world = await SagaWorld.create(stack, 'saga_two', {
      stock,
      retry: { attempts: 2, initialMs: 100, maxMs: 300 },
      poolSize: 16,
    });
    const fault = (n: number) => (n % 15 === 7 ? 'confirm' : n % 5 === 1 ? 'decline' : undefined);
    try {
      await world.startParticipants();
      const first = await world.startRuntime();
      // The second runtime starts while the first is busy: the reply partitions move between
      // them (a rebalance), and both pollers claim the same due sagas.
      const placing = placeOrders(world, [first], 100, 10, (n) => ({
        items: [{ sku: 'A', quantity: 1 }],
        fault: fault(n),
      }));
      const second = await world.startRuntime();
      await placing;
      await placeOrders(world, [first, second], 100, 10, (n) => ({
        items: [{ sku: 'A', quantity: 2 }],
        fault: fault(n),
      }));
      await allFinal(world, 90_000);
      const audit = await auditSagas(world, stock);
      const stats = [first.stats(), second.stats()];
      console.log(
        `[two runtimes, one group] ${JSON.stringify(audit.byStatus)} ${JSON.stringify(audit.reasons)}; ${audit.timedOut.size} timed out; transitions ${stats.map((s) => s.transitions).join(' + ')}`,
      );
      expect(audit.violations).toEqual([]);
      expect(audit.total).toBe(200);
      const { confirmFails, declinePayment } = world.faults;
      expect(audit.reasons).toEqual({
        'confirm-order: Error: confirmation refused': confirmFails.size,
        'process-payment: card declined': declinePayment.size,
      });
      expect(audit.byStatus).toEqual({
        COMPLETED: 200 - confirmFails.size - declinePayment.size,
        COMPENSATED: confirmFails.size + declinePayment.size,
      });
      // Each failing confirmation ran twice, the second time when a poller woke it: once.
      const { rows } = await world.db.pool.query<{ events: string[] }>(
        `select array_agg(l.event order by l.id) filter (where l.step = 2) as events
           from orders.saga_instances s join orders.saga_steps l on l.saga_id = s.id
          where s.data->>'orderId' = any($1) group by s.id`,
        [[...confirmFails]],
      );
      expect(rows.map((row) => row.events)).toEqual(
        [...confirmFails].map(() => ['local-failed', 'retry-scheduled', 'local-failed']),
      );
      // Both did part of the work.
      expect(stats.every((s) => s.transitions > 0)).toBe(true);
    } finally {
      await world.drop();
    }
  }, 120_000);

  it('two runtimes that each receive every reply (separate groups): each reply applies once, its copy is absorbed', async () => {
    const stock = { A: 100_000 };
    const world = await SagaWorld.create(stack, 'saga_dup', { stock, poolSize: 16 });
    try {
      await world.startParticipants();
      const runtimes = [
        await world.startRuntime({ groupId: `${world.prefix}-one` }),
        await world.startRuntime({ groupId: `${world.prefix}-two` }),
      ];
      await placeOrders(world, runtimes, 120, 10, (n) => ({
        items: [{ sku: 'A', quantity: 1 }],
        fault: n % 4 === 0 ? 'decline' : undefined,
      }));
      await allFinal(world, 90_000);
      const applied = await repliesApplied(world);
      // Every reply reached both runtimes: one applied it, the other found the saga moved on.
      await expect
        .poll(() => runtimes.reduce((sum, runtime) => sum + runtime.stats().repliesIgnored, 0), {
          timeout: 15_000,
        })
        .toBe(applied);
      const audit = await auditSagas(world, stock);
      expect(audit.violations).toEqual([]);
      expect(audit.byStatus).toEqual({ COMPLETED: 90, COMPENSATED: 30 });
      // Replies: reserve + pay for each saga, and the release of each declined one.
      expect(applied).toBe(120 * 2 + 30);
    } finally {
      await world.drop();
    }
  }, 120_000);

  it('1,000 concurrent order sagas against limited stock with random payment failures: stock never negative, every reservation confirmed or released', async () => {
    const stock = { A: 400, B: 400, C: 300 };
    const world = await SagaWorld.create(stack, 'saga_stock', { stock, poolSize: 16 });
    let lowest = Number.POSITIVE_INFINITY;
    const sampler = setInterval(() => {
      void world.db.pool
        .query<{ min: number }>('select min(available)::int as min from inventory.stock')
        .then(({ rows }) => (lowest = Math.min(lowest, rows[0]!.min)))
        .catch(() => undefined);
    }, 50);
    try {
      await world.startParticipants();
      const runtimes = [await world.startRuntime(), await world.startRuntime()];
      const skus = Object.keys(stock);
      await placeOrders(world, runtimes, 1000, 50, () => {
        // One or two distinct SKUs, in SKU order (as a real service locks them, so concurrent
        // reservations cannot deadlock), 1–3 of each; about 15 % of the cards are declined.
        const first = Math.floor(Math.random() * skus.length);
        const chosen = Math.random() < 0.5 ? [first] : [first, (first + 1) % skus.length];
        return {
          items: chosen
            .sort()
            .map((index) => ({ sku: skus[index]!, quantity: 1 + Math.floor(Math.random() * 3) })),
          fault: Math.random() < 0.15 ? 'decline' : undefined,
        };
      });
      await allFinal(world, 90_000);
      clearInterval(sampler);
      const audit = await auditSagas(world, stock);
      console.log(
        `[1,000 sagas] ${JSON.stringify(audit.byStatus)} ${JSON.stringify(audit.reasons)}; lowest stock seen ${lowest}`,
      );
      expect(audit.violations).toEqual([]);
      expect(audit.total).toBe(1000);
      expect(lowest).toBeGreaterThanOrEqual(0);
      // All three outcomes happened: the stock ran out, and cards were declined.
      expect(audit.byStatus['COMPLETED']).toBeGreaterThan(0);
      expect(Object.keys(audit.reasons).sort()).toEqual([
        'process-payment: card declined',
        'reserve-inventory: insufficient stock',
      ]);
      const { rows } = await world.db.pool.query<{ status: string; n: number }>(
        'select status, count(*)::int as n from inventory.reservations group by status order by status',
      );
      expect(rows).toEqual([
        { status: 'RELEASED', n: audit.reasons['process-payment: card declined'] },
        { status: 'RESERVED', n: audit.byStatus['COMPLETED'] },
      ]);
    } finally {
      clearInterval(sampler);
      await world.drop();
    }
  }, 120_000);
});

describe('a step sent again', () => {
  it('a compensation whose reply came after the saga gave up: the operator retry gets the reply already given (regression: a repeated command went unanswered)', async () => {
    const world = await SagaWorld.create(stack, 'saga_again', {
      timeoutMs: 1000,
      retry: { attempts: 2, initialMs: 100, maxMs: 200 },
    });
    try {
      await world.startParticipants();
      const runtime = await world.startRuntime();
      world.faults.releaseDelayMs = 4000;
      const orderId = uuidv7();
      world.faults.declinePayment.add(orderId);
      const { sagaId } = await world.placeOrder(runtime, {
        orderId,
        items: [{ sku: 'A', quantity: 1 }],
        amount: '1',
      });
      // Both attempts of the release time out while the first one still runs.
      await world.settled(sagaId, 'COMPENSATION_FAILED', 15_000);
      await expect
        .poll(() => world.query().reservation(orderId), { timeout: 15_000 })
        .toBe('RELEASED');
      world.faults.releaseDelayMs = 0;
      await runtime.retry(sagaId);
      const saga = await world.settled(sagaId, 'COMPENSATED', 15_000);
      // Compensated once; the answers to the copies came after and were absorbed.
      expect(saga.steps.filter((entry) => entry.event === 'compensated')).toHaveLength(1);
      // The release ran once; its two later copies (attempt 2, the operator retry) were answered.
      expect(
        world.handled.filter((entry) => entry.orderId === orderId).map((entry) => entry.type),
      ).toEqual(['RESERVE_INVENTORY', 'PROCESS_PAYMENT', 'RELEASE_INVENTORY']);
      expect(await world.query().stock('A')).toBe(1_000_000);
    } finally {
      await world.drop();
    }
  }, 60_000);
});

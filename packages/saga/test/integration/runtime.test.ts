import { listSagas, replayDeadLetters, sagaStats, type SagaRuntime } from '@trackops/saga';
import { collectRecords, stackEndpoints } from '@trackops/testkit';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sagaMetrics } from '@trackops/saga/prometheus';
import { SagaWorld } from '../support/world.js';

const items = [{ sku: 'A', quantity: 2 }];

describe('the saga runtime on the real stack', () => {
  const stack = stackEndpoints();
  let world: SagaWorld;
  let runtime: SagaRuntime;

  beforeAll(async () => {
    world = await SagaWorld.create(stack, 'saga_runtime', {
      timeoutMs: 1500,
      retry: { attempts: 2, initialMs: 100, maxMs: 300 },
      stock: { A: 100, B: 1 },
    });
    runtime = await world.startRuntime();
    await world.startParticipants();
  });
  afterAll(() => world.drop());

  it('runs a three-step saga to COMPLETED: reserve, pay, confirm', async () => {
    const { orderId, sagaId } = await world.placeOrder(runtime, { items, amount: '19.90' });
    const saga = await world.settled(sagaId, 'COMPLETED');
    const q = world.query();
    expect(await q.order(orderId)).toBe('CONFIRMED');
    expect(await q.reservation(orderId)).toBe('RESERVED');
    expect(await q.payment(orderId)).toBe('CAPTURED');
    expect(saga.data).toMatchObject({ reservationId: `r-${orderId}`, paymentId: `p-${orderId}` });
    expect(saga.steps.map((entry) => `${entry.stepName}:${entry.event}`)).toEqual([
      'reserve-inventory:started',
      'reserve-inventory:command-sent',
      'reserve-inventory:reply-succeeded',
      'process-payment:command-sent',
      'process-payment:reply-succeeded',
      'confirm-order:local-succeeded',
      // `completed` is logged at step index 3 (past the last step): it has no step name.
      'null:completed',
    ]);
    expect(saga.endedAt).not.toBeNull();
  });

  it('compensates in reverse order when each step in turn fails', async () => {
    const q = world.query();
    // 1. Reserve refused (B has 1 left): nothing to undo.
    const first = await world.placeOrder(runtime, {
      items: [{ sku: 'B', quantity: 5 }],
      amount: '1',
    });
    // 2. Payment refused: the reservation is released.
    const second = await world.placeOrder(runtime, { items, amount: '2' });
    world.faults.declinePayment.add(second.orderId);
    // 3. Local confirm throws on both attempts: refund, then release.
    const third = await world.placeOrder(runtime, { items, amount: '3' });
    world.faults.confirmFails.add(third.orderId);

    const one = await world.settled(first.sagaId, 'COMPENSATED');
    expect(one.error).toBe('reserve-inventory: insufficient stock of B');
    expect(await q.stock('B')).toBe(1);

    const two = await world.settled(second.sagaId, 'COMPENSATED');
    expect(two.error).toBe('process-payment: card declined');
    expect(await q.reservation(second.orderId)).toBe('RELEASED');
    expect(await q.payment(second.orderId)).toBeUndefined();

    const three = await world.settled(third.sagaId, 'COMPENSATED');
    expect(three.error).toBe('confirm-order: Error: confirmation refused');
    expect(await q.payment(third.orderId)).toBe('REFUNDED');
    expect(await q.reservation(third.orderId)).toBe('RELEASED');
    expect(await q.order(third.orderId)).toBe('PENDING');
    // Reverse order, each compensation once.
    const undo = world.handled
      .filter((entry) => entry.orderId === third.orderId)
      .map((entry) => entry.type);
    expect(undo).toEqual([
      'RESERVE_INVENTORY',
      'PROCESS_PAYMENT',
      'REFUND_PAYMENT',
      'RELEASE_INVENTORY',
    ]);
    expect(three.steps.filter((entry) => entry.event === 'local-failed')).toHaveLength(2);
  });

  it('times out a step whose participant never replies, retries it, dead-letters the faulty command, and compensates', async () => {
    const { orderId, sagaId } = await world.placeOrder(runtime, { items, amount: '4' });
    world.faults.crashPayment.add(orderId);
    const saga = await world.settled(sagaId, 'COMPENSATED', 30_000);
    expect(saga.error).toBe('process-payment: timed out after 2 attempts');
    expect(saga.steps.filter((entry) => entry.event === 'timed-out')).toHaveLength(2);
    // The timed-out step is compensated too (its effect is unknown), then the reservation.
    expect(await world.query().reservation(orderId)).toBe('RELEASED');
    const dead = await collectRecords(world.kafka, {
      topics: [`${world.prefix}.payment.dlq`],
      until: (records) => records.filter((record) => record.key === sagaId).length >= 2,
      timeoutMs: 15_000,
    });
    const mine = dead.filter((record) => record.key === sagaId);
    expect(mine[0]?.headers).toMatchObject({
      'saga-id': sagaId,
      type: 'PROCESS_PAYMENT',
      'dlq-original-topic': `${world.prefix}.payment`,
      'dlq-error-message': 'payment gateway unreachable',
    });

    // Replayed once the gateway is back, the command arrives after its compensation: the
    // participant refuses it without running it, and the saga absorbs the refusal.
    world.faults.crashPayment.delete(orderId);
    const ignoredBefore = runtime.stats().repliesIgnored;
    const replay = await replayDeadLetters({
      kafka: world.kafka,
      dlqTopic: `${world.prefix}.payment.dlq`,
      filter: (record) => record.key?.toString() === sagaId,
    });
    expect(replay.replayed.length).toBeGreaterThanOrEqual(1);
    await expect
      .poll(() => runtime.stats().repliesIgnored - ignoredBefore, { timeout: 15_000 })
      .toBeGreaterThanOrEqual(1);
    expect(await world.query().payment(orderId)).toBeUndefined();
    expect((await world.settled(sagaId, 'COMPENSATED')).steps.at(-1)).toMatchObject({
      event: 'reply-ignored',
      stepName: 'process-payment',
    });
  });

  it('absorbs replies delivered twice and out of order: every effect happens once', async () => {
    const { orderId, sagaId } = await world.placeOrder(runtime, { items, amount: '5' });
    await world.settled(sagaId, 'COMPLETED');
    const replies = (
      await collectRecords(world.kafka, {
        topics: [world.replyTopic],
        until: (records) => records.filter((record) => record.key === sagaId).length >= 2,
        timeoutMs: 15_000,
      })
    ).filter((record) => record.key === sagaId);
    const before = runtime.stats();
    const producer = world.kafka.producer();
    await producer.connect();
    // Replayed in reverse order: once with their ids (the inbox drops them), once with new ids
    // (the state machine absorbs them: the saga waits for no reply).
    for (const fresh of [false, true]) {
      await producer.send({
        topic: world.replyTopic,
        messages: [...replies].reverse().map((record) => ({
          key: record.key,
          value: record.value,
          headers: Object.fromEntries(
            Object.entries(record.headers)
              .filter((entry): entry is [string, string] => entry[1] !== null)
              .map(([name, value]) => [name, name === 'id' && fresh ? `${value}-again` : value]),
          ),
        })),
      });
    }
    await producer.disconnect();
    await expect
      .poll(() => runtime.stats().repliesIgnored - before.repliesIgnored, { timeout: 15_000 })
      .toBe(2);
    const saga = await world.settled(sagaId, 'COMPLETED');
    expect(saga.steps.filter((entry) => entry.event === 'reply-ignored')).toHaveLength(2);
    expect(world.handled.filter((entry) => entry.orderId === orderId)).toHaveLength(2);
    const { rows } = await world.db.pool.query(
      `select count(*)::int as n from orders.saga_outbox where aggregateid = $1`,
      [sagaId],
    );
    expect(rows[0]).toEqual({ n: 2 });
  });

  it('leaves a saga whose compensation keeps failing in COMPENSATION_FAILED; the operator retry completes it', async () => {
    world.faults.releaseBroken = true;
    const { orderId, sagaId } = await world.placeOrder(runtime, { items, amount: '6' });
    world.faults.declinePayment.add(orderId);
    const failed = await world.settled(sagaId, 'COMPENSATION_FAILED');
    expect(failed.error).toBe('process-payment: card declined');
    expect(failed.compensationError).toBe(
      'compensation of reserve-inventory failed after 2 attempts: inventory is read-only',
    );
    expect(
      await listSagas(world.db.pool, { status: ['COMPENSATION_FAILED'] }, { schema: 'orders' }),
    ).toEqual([expect.objectContaining({ id: sagaId })]);
    expect((await sagaStats(world.db.pool, { schema: 'orders' })).stuck).toBe(1);

    world.faults.releaseBroken = false;
    await runtime.retry(sagaId);
    const done = await world.settled(sagaId, 'COMPENSATED');
    expect(done.compensationError).toBeNull();
    expect(await world.query().reservation(orderId)).toBe('RELEASED');
    await expect(runtime.retry(sagaId)).rejects.toThrow(
      /COMPENSATION_FAILED saga; this one is COMPENSATED/,
    );
    await expect(runtime.retry('00000000-0000-0000-0000-000000000000')).rejects.toThrow(
      /no saga with id/,
    );
  });

  it('rejects bad saga data naming the field, and writes nothing', async () => {
    const before = await world.db.pool.query(
      'select count(*)::int as n from orders.saga_instances',
    );
    await expect(
      world.placeOrder(runtime, { items: [{ sku: 'A', quantity: 0 }], amount: '1' }),
    ).rejects.toThrow(/invalid order saga data: items\.0\.quantity: /);
    const after = await world.db.pool.query('select count(*)::int as n from orders.saga_instances');
    expect(after.rows).toEqual(before.rows);
  });

  it('exports Prometheus metrics: counters from the runtime, gauges from the table', async () => {
    const registry = new Registry();
    const metrics = sagaMetrics(runtime, {
      registry,
      pool: world.db.pool,
      tables: { schema: 'orders' },
    });
    try {
      const { sagaId } = await world.placeOrder(runtime, { items, amount: '7' });
      await world.settled(sagaId, 'COMPLETED');
      await expect
        .poll(async () => registry.metrics(), { timeout: 5000 })
        .toMatch(/trackops_saga_ended_total\{saga="order",status="COMPLETED"\} 1/);
      const text = await registry.metrics();
      expect(text).toMatch(/trackops_saga_started_total\{saga="order"\} 1/);
      expect(text).toMatch(
        /trackops_saga_duration_seconds_count\{saga="order",status="COMPLETED"\} 1/,
      );
      const completed = await listSagas(
        world.db.pool,
        { status: ['COMPLETED'], limit: 10_000 },
        { schema: 'orders' },
      );
      expect(text).toContain(`trackops_saga_sagas{status="COMPLETED"} ${completed.length}`);
      expect(text).toMatch(/trackops_saga_stuck \d+/);
      expect(() => sagaMetrics(runtime, { registry, pool: world.db.pool })).toThrow(
        /prefix: metrics named trackops_saga_\* are already registered/,
      );
    } finally {
      metrics.unsubscribe();
    }
    expect((await registry.metrics()).trim()).toBe('');
  });
});

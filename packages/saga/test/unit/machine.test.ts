import { createSagaTestHarness } from '@trackops/saga/testing';
import { defineCommand, defineSaga, SagaError } from '@trackops/saga';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { orderSaga, type OrderData } from '../support/orderSaga.js';

const order: OrderData = { orderId: 'o-1', items: [{ sku: 'A', quantity: 2 }], amount: '9.90' };
const types = (commands: readonly { type: string }[]) => commands.map((command) => command.type);

describe('the saga state machine (through the test harness)', () => {
  it('runs the steps in order, folding replies into the data, and completes', async () => {
    const confirmed: string[] = [];
    const { saga } = orderSaga('t', {
      confirm: (_tx, data) => {
        confirmed.push(data.orderId);
        return Promise.resolve();
      },
    });
    const run = createSagaTestHarness(saga);
    await run.begin(order);
    expect(run.commands.at(-1)).toMatchObject({
      type: 'RESERVE_INVENTORY',
      topic: 't.inventory',
      stepName: 'reserve-inventory',
      payload: { orderId: 'o-1', items: [{ sku: 'A', quantity: 2 }] },
    });
    await run.reply({ reservationId: 'r-1' });
    expect(run.commands.at(-1)).toMatchObject({
      type: 'PROCESS_PAYMENT',
      payload: { amount: '9.90' },
    });
    await run.reply({ paymentId: 'p-1' });
    expect(run.state).toMatchObject({
      status: 'COMPLETED',
      data: { reservationId: 'r-1', paymentId: 'p-1' },
      deadlineAt: null,
    });
    expect(confirmed).toEqual(['o-1']);
    expect(types(run.commands)).toEqual(['RESERVE_INVENTORY', 'PROCESS_PAYMENT']);
  });

  it('compensates the completed steps in reverse order when each step in turn fails', async () => {
    // Step 1 refused: nothing to compensate.
    const first = createSagaTestHarness(orderSaga('t').saga);
    await first.begin(order);
    await first.fail('out of stock');
    expect(first.state).toMatchObject({
      status: 'COMPENSATED',
      error: 'reserve-inventory: out of stock',
      data: { failure: 'out of stock' },
    });
    expect(types(first.commands)).toEqual(['RESERVE_INVENTORY']);

    // Step 2 refused: release the reservation.
    const second = createSagaTestHarness(orderSaga('t').saga);
    await second.begin(order);
    await second.reply({ reservationId: 'r-1' });
    await second.fail('card declined');
    expect(types(second.commands)).toEqual([
      'RESERVE_INVENTORY',
      'PROCESS_PAYMENT',
      'RELEASE_INVENTORY',
    ]);
    await second.reply({});
    expect(second.state).toMatchObject({
      status: 'COMPENSATED',
      error: 'process-payment: card declined',
    });

    // Step 3 (local) throws on every attempt: refund, then release.
    const third = createSagaTestHarness(
      orderSaga('t', {
        retry: { attempts: 2 },
        confirm: () => Promise.reject(new Error('order row locked')),
      }).saga,
    );
    await third.begin(order);
    await third.reply({ reservationId: 'r-1' });
    await third.reply({ paymentId: 'p-1' });
    expect(third.state).toMatchObject({ status: 'RUNNING', waiting: 'retry', attempt: 2 });
    await third.advance(10_000);
    expect(types(third.commands)).toEqual([
      'RESERVE_INVENTORY',
      'PROCESS_PAYMENT',
      'REFUND_PAYMENT',
    ]);
    expect(third.commands.at(-1)?.payload).toEqual({ orderId: 'o-1', paymentId: 'p-1' });
    await third.reply({});
    expect(third.commands.at(-1)?.type).toBe('RELEASE_INVENTORY');
    await third.reply({});
    expect(third.state).toMatchObject({
      status: 'COMPENSATED',
      error: 'confirm-order: Error: order row locked',
    });
  });

  it('retries a timed-out command, then compensates that step too (its effect is unknown)', async () => {
    const run = createSagaTestHarness(
      orderSaga('t', { timeoutMs: 1000, retry: { attempts: 2 } }).saga,
    );
    await run.begin(order);
    await run.reply({ reservationId: 'r-1' });
    await run.advance(999);
    expect(run.state.attempt).toBe(1);
    await run.advance(1);
    expect(run.commands.at(-1)).toMatchObject({ type: 'PROCESS_PAYMENT', attempt: 2 });
    await run.advance(1000);
    expect(types(run.commands).slice(3)).toEqual(['REFUND_PAYMENT']);
    expect(run.state).toMatchObject({
      status: 'COMPENSATING',
      error: 'process-payment: timed out after 2 attempts',
    });
    await run.reply({});
    await run.reply({});
    expect(run.state.status).toBe('COMPENSATED');
    expect(run.log.filter((entry) => entry.event === 'timed-out')).toHaveLength(2);
  });

  it('absorbs duplicate, late and out-of-order replies', async () => {
    const run = createSagaTestHarness(orderSaga('t').saga);
    await run.begin(order);
    // A reply for a step the saga has not reached: ignored, nothing moves.
    await run.deliver({
      kind: 'reply',
      step: 1,
      phase: 'action',
      outcome: 'success',
      payload: { paymentId: 'early' },
    });
    expect(run.state).toMatchObject({ status: 'RUNNING', step: 0 });
    await run.reply({ reservationId: 'r-1' });
    // The same reply again: ignored.
    await run.deliver({
      kind: 'reply',
      step: 0,
      phase: 'action',
      outcome: 'success',
      payload: { reservationId: 'r-2' },
    });
    expect(run.state.data.reservationId).toBe('r-1');
    await run.reply({ paymentId: 'p-1' });
    await run.deliver({
      kind: 'reply',
      step: 1,
      phase: 'action',
      outcome: 'failure',
      reason: 'late',
    });
    expect(run.state.status).toBe('COMPLETED');
    expect(run.log.filter((entry) => entry.event === 'reply-ignored')).toHaveLength(3);
  });

  it('stops in COMPENSATION_FAILED when a compensation keeps failing; the operator retry completes it', async () => {
    const run = createSagaTestHarness(
      orderSaga('t', { retry: { attempts: 3, initialMs: 100 } }).saga,
    );
    await run.begin(order);
    await run.reply({ reservationId: 'r-1' });
    await run.fail('card declined');
    await run.fail('inventory service down');
    expect(run.state).toMatchObject({ status: 'COMPENSATING', waiting: 'retry', attempt: 2 });
    await run.advance(100);
    expect(run.commands.at(-1)).toMatchObject({ type: 'RELEASE_INVENTORY', attempt: 2 });
    await run.fail('inventory service down');
    await run.advance(200);
    await run.advance(30_000); // the third attempt times out
    expect(run.state).toMatchObject({
      status: 'COMPENSATION_FAILED',
      waiting: null,
      deadlineAt: null,
      error: 'process-payment: card declined',
    });
    expect(run.state.compensationError).toMatch(
      /^compensation of reserve-inventory failed after 3 attempts: no reply within 30000 ms/,
    );
    await expect(run.abort('x')).resolves.toBeUndefined();
    expect(run.state.status).toBe('ABORTED');

    const again = createSagaTestHarness(orderSaga('t', { retry: { attempts: 1 } }).saga);
    await again.begin(order);
    await again.reply({ reservationId: 'r-1' });
    await again.fail('card declined');
    await again.fail('inventory service down');
    expect(again.state.status).toBe('COMPENSATION_FAILED');
    await again.retry();
    expect(again.commands.at(-1)).toMatchObject({ type: 'RELEASE_INVENTORY', attempt: 1 });
    await again.reply({});
    expect(again.state).toMatchObject({
      status: 'COMPENSATED',
      error: 'process-payment: card declined',
      compensationError: null,
    });
    await expect(again.retry()).rejects.toThrow(
      /retry applies to a COMPENSATION_FAILED saga; this one is COMPENSATED/,
    );
  });

  it('accepts a late success reply to a compensation while it backs off before the retry', async () => {
    const run = createSagaTestHarness(
      orderSaga('t', { timeoutMs: 1000, retry: { attempts: 3, initialMs: 500 } }).saga,
    );
    await run.begin(order);
    await run.reply({ reservationId: 'r-1' });
    await run.fail('card declined');
    await run.advance(1000); // the release times out: backing off before attempt 2
    expect(run.state).toMatchObject({ status: 'COMPENSATING', waiting: 'retry', attempt: 2 });
    // Attempt 1's reply arrives now; the participant will not answer attempt 2 again.
    await run.deliver({
      kind: 'reply',
      step: 0,
      phase: 'compensation',
      outcome: 'success',
      payload: {},
    });
    expect(run.state.status).toBe('COMPENSATED');
    expect(run.commands.filter((command) => command.type === 'RELEASE_INVENTORY')).toHaveLength(1);
  });

  it('aborts a running saga by compensating the command in flight and what completed', async () => {
    const run = createSagaTestHarness(orderSaga('t').saga);
    await run.begin(order);
    await run.reply({ reservationId: 'r-1' });
    await run.abort('customer cancelled');
    expect(run.commands.at(-1)?.type).toBe('REFUND_PAYMENT');
    await run.reply({});
    await run.reply({});
    expect(run.state).toMatchObject({
      status: 'COMPENSATED',
      error: 'aborted: customer cancelled',
    });
  });

  it('rejects bad data, bad replies and bad definitions, naming the field', async () => {
    const { saga } = orderSaga('t');
    const run = createSagaTestHarness(saga);
    await expect(run.begin({ ...order, amount: 9 as unknown as string })).rejects.toThrow(
      /invalid order saga data: amount: /,
    );
    await run.begin(order);
    await expect(run.reply({ reservation: 'r-1' })).rejects.toThrow(
      /invalid RESERVE_INVENTORY reply of step reserve-inventory: reservationId: /,
    );
    expect(run.state.step).toBe(0);
    expect(() => defineSaga({ name: 'empty', data: z.object({}) }).build()).toThrow(/has no steps/);
    expect(() =>
      defineCommand({ type: 'X', topic: 'bad topic', payload: z.object({}), reply: z.object({}) }),
    ).toThrow(/topic: must be a valid Kafka topic name/);
    const dup = defineSaga({ name: 'dup', data: z.object({}) }).step('a', {
      local: () => Promise.resolve(),
    });
    expect(() => dup.step('a', { local: () => Promise.resolve() })).toThrow(SagaError);
    expect(() =>
      defineSaga({ name: 't', data: z.object({}) }).step('a', {
        local: () => Promise.resolve(),
        timeoutMs: 0,
      }),
    ).toThrow(/step a: timeoutMs: /);
  });

  it('types replies: a handler reading a field the reply lacks does not compile', () => {
    const { reserve } = orderSaga('t').commands;
    defineSaga({ name: 'typed', data: z.object({ id: z.string() }) }).step('reserve', {
      command: reserve,
      payload: (data) => ({ orderId: data.id, items: [] }),
      // @ts-expect-error -- the reply has reservationId, not paymentId
      onReply: (data, reply) => ({ ...data, id: String(reply.paymentId) }),
    });
    // @ts-expect-error -- the payload needs items
    defineSaga({ name: 'typed', data: z.object({ id: z.string() }) }).step('reserve', {
      command: reserve,
      payload: (data) => ({ orderId: data.id }),
    });
    expect(reserve.type).toBe('RESERVE_INVENTORY');
  });
});

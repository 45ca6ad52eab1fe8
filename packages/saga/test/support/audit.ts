/**
 * Checks a world's sagas against what they did, from the rows alone: orders, sagas,
 * reservations, payments and stock agree; no transition was applied twice (step log, saga
 * outbox); each participant ran each command once. Returns the violations, so a test shows
 * them all at once instead of stopping at the first.
 */
import type { SagaWorld } from './world.js';

/** What {@link auditSagas} found. */
export interface SagaAudit {
  total: number;
  byStatus: Record<string, number>;
  /** Why sagas compensated (the error without the order-specific part), counted. */
  reasons: Record<string, number>;
  /** Orders whose saga logged a step timing out (its command was sent again or compensated). */
  timedOut: Set<string>;
  violations: string[];
}

interface OrderRow {
  order_id: string;
  order_status: string;
  saga_id: string;
  saga_status: string;
  error: string | null;
  reservation: string | null;
  payment: string | null;
}

const finalEvents = ['completed', 'compensated', 'aborted'];

/**
 * Audits every order of the world.
 * @param initialStock - The stock the world was created with, to check none was lost or made.
 */
export async function auditSagas(
  world: SagaWorld,
  initialStock: Record<string, number>,
): Promise<SagaAudit> {
  const db = world.db.pool;
  const violations: string[] = [];
  const { rows } = await db.query<OrderRow>(
    `select o.id as order_id, o.status as order_status, s.id::text as saga_id, s.status as saga_status,
            s.error, r.status as reservation, p.status as payment
       from orders.orders o
       left join orders.saga_instances s on s.data->>'orderId' = o.id
       left join inventory.reservations r on r.order_id = o.id
       left join payment.payments p on p.order_id = o.id`,
  );
  const byStatus: Record<string, number> = {};
  const reasons: Record<string, number> = {};
  for (const row of rows) {
    byStatus[row.saga_status] = (byStatus[row.saga_status] ?? 0) + 1;
    const what = `order ${row.order_id} (saga ${row.saga_id} ${row.saga_status}): order ${row.order_status}, reservation ${row.reservation}, payment ${row.payment}`;
    if (row.saga_status === 'COMPLETED') {
      if (
        row.order_status !== 'CONFIRMED' ||
        row.reservation !== 'RESERVED' ||
        row.payment !== 'CAPTURED'
      )
        violations.push(`completed but ${what}`);
    } else if (row.saga_status === 'COMPENSATED') {
      const reason = (row.error ?? 'none').replace(/ of [A-Z]$/, '');
      reasons[reason] = (reasons[reason] ?? 0) + 1;
      if (
        row.order_status === 'CONFIRMED' ||
        !(row.reservation === null || row.reservation === 'RELEASED') ||
        !(row.payment === null || row.payment === 'REFUNDED')
      )
        violations.push(`compensated but ${what}`);
    } else {
      violations.push(`not final: ${what}`);
    }
  }

  // No transition twice: each fact of a saga's step log at most once per attempt, and exactly
  // one start and one end per saga.
  const repeated = await db.query<{ saga_id: string; step: number; phase: string; event: string }>(
    `select saga_id::text, step, phase, event, attempt, count(*)::int as n from orders.saga_steps
      where event in ('started', 'command-sent', 'reply-succeeded', 'reply-failed', 'timed-out',
                      'local-succeeded', 'local-failed', 'completed', 'compensated')
      group by saga_id, step, phase, event, attempt having count(*) > 1`,
  );
  for (const row of repeated.rows)
    violations.push(
      `saga ${row.saga_id}: ${row.event} of step ${row.step} (${row.phase}) logged twice`,
    );
  const ends = await db.query<{
    id: string;
    order_id: string;
    started: number;
    ended: number;
    timed_out: number;
  }>(
    `select s.id::text, s.data->>'orderId' as order_id,
            count(*) filter (where l.event = 'started')::int as started,
            count(*) filter (where l.event = any($1))::int as ended,
            count(*) filter (where l.event = 'timed-out')::int as timed_out
       from orders.saga_instances s left join orders.saga_steps l on l.saga_id = s.id
      group by s.id`,
    [finalEvents],
  );
  const timedOut = new Set<string>();
  for (const row of ends.rows) {
    if (row.started !== 1 || row.ended !== 1)
      violations.push(`saga ${row.id}: started ${row.started}×, ended ${row.ended}×`);
    if (row.timed_out > 0) timedOut.add(row.order_id);
  }

  // Every command in the saga outbox was decided once: one row per command-sent entry.
  const sent = await db.query<{ saga_id: string; logged: number; queued: number }>(
    `select s.id::text as saga_id,
            (select count(*)::int from orders.saga_steps l where l.saga_id = s.id and l.event = 'command-sent') as logged,
            (select count(*)::int from orders.saga_outbox o where o.aggregateid = s.id::text) as queued
       from orders.saga_instances s`,
  );
  for (const row of sent.rows)
    if (row.logged !== row.queued)
      violations.push(`saga ${row.saga_id}: ${row.logged} commands logged, ${row.queued} queued`);

  // Each participant ran each command of an order once (a timed-out command sent again is
  // absorbed by the participant's inbox), and ran exactly the kinds of command it was sent.
  const types = await db.query<{ order_id: string; types: string[] }>(
    `select s.data->>'orderId' as order_id, array_agg(distinct o.type order by o.type) as types
       from orders.saga_instances s join orders.saga_outbox o on o.aggregateid = s.id::text
      group by 1`,
  );
  const handled = new Map<string, string[]>();
  for (const entry of world.handled)
    handled.set(entry.orderId, [...(handled.get(entry.orderId) ?? []), entry.type]);
  for (const row of types.rows) {
    if (world.faults.crashPayment.has(row.order_id)) continue; // a throwing handler runs again
    const ran = [...(handled.get(row.order_id) ?? [])].sort();
    if (ran.join() !== row.types.join())
      violations.push(`order ${row.order_id}: sent ${row.types.join()}, handled ${ran.join()}`);
  }

  // Stock is conserved: what is reserved plus what is available is what there was.
  const stock = await db.query<{ sku: string; available: number; reserved: number }>(
    `select s.sku, s.available,
            coalesce((select sum((i->>'quantity')::int) from inventory.reservations r,
                        jsonb_array_elements(r.items) i
                       where r.status = 'RESERVED' and i->>'sku' = s.sku), 0)::int as reserved
       from inventory.stock s`,
  );
  for (const row of stock.rows) {
    if (row.available < 0) violations.push(`stock of ${row.sku} is negative: ${row.available}`);
    if (row.available + row.reserved !== initialStock[row.sku])
      violations.push(
        `stock of ${row.sku}: ${row.available} available + ${row.reserved} reserved ≠ ${initialStock[row.sku]}`,
      );
  }
  return { total: rows.length, byStatus, reasons, timedOut, violations };
}

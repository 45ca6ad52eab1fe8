/**
 * The CDC-to-application transformation: changes of `trackops_orders.public.orders` become
 * `order.created` (an insert) and `order.status.updated` (an update that changed `status`),
 * written to this service's own outbox in the transaction that records the change in the
 * inbox — so a change redelivered by Debezium or Kafka (at least once) emits its event once —
 * and relayed like every outbox row (topics `order.created`, `order.status.updated`).
 */
import { createCdcConsumer, type CdcConsumer, type DecodedRecord } from '@trackops/cdc';
import type { Queryable } from '@trackops/core';
import { createOutbox, inbox, type OutboxEvent } from '@trackops/outbox';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';
import { OrderCreatedFromCdc, OrderStatusUpdated } from '../shared/contracts.js';

const outbox = createOutbox();

/**
 * The columns of the order-service's `orders` the transformation reads (Debezium's decoding of
 * them: uuid and numeric(12,2) as text). Other columns are ignored.
 */
const orderRow = z.object({
  id: z.uuid(),
  customer_id: z.string(),
  status: z.string(),
  total_amount: z.string(),
  cancellation_reason: z.string().nullable().optional(),
});
type OrderRow = z.infer<typeof orderRow>;

function parseRow(row: unknown, where: string): OrderRow {
  const result = orderRow.safeParse(row);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(
      `${where}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'} — not an orders row this service understands`,
    );
  }
  return result.data;
}

/** What one change does to the projection and the outbox. */
async function apply(
  tx: Queryable,
  change: {
    op: 'r' | 'c' | 'u' | 'd';
    before: OrderRow | undefined;
    after: OrderRow | undefined;
    lsn: bigint;
  },
): Promise<OutboxEvent[]> {
  const id = (change.after ?? change.before)!.id;
  const { rows } = await tx.query<{ status: string; lsn: string }>(
    'select status, lsn::text from order_status_projection where order_id = $1 for update',
    [id],
  );
  const known = rows[0];
  // A change at or before the one the projection holds was applied already (a redelivery
  // after a connector restart re-reads from its last committed offset).
  if (known && BigInt(known.lsn) >= change.lsn && change.op !== 'r') return [];
  if (change.op === 'd') {
    await tx.query('delete from order_status_projection where order_id = $1', [id]);
    return [];
  }
  const after = change.after!;
  await tx.query(
    `insert into order_status_projection (order_id, status, lsn) values ($1, $2, $3)
     on conflict (order_id) do update set status = excluded.status, lsn = excluded.lsn, updated_at = now()`,
    [id, after.status, change.lsn.toString()],
  );
  switch (change.op) {
    case 'r':
      // A snapshot read seeds the projection; the order was created before the connector.
      return [];
    case 'c':
      return [
        OrderCreatedFromCdc.create({
          aggregateId: id,
          payload: {
            orderId: id,
            customerId: after.customer_id,
            status: after.status,
            totalAmount: after.total_amount,
          },
        }),
      ];
    case 'u': {
      const from = change.before?.status ?? known?.status ?? 'UNKNOWN';
      if (from === after.status) return [];
      return [
        OrderStatusUpdated.create({
          aggregateId: id,
          payload: {
            orderId: id,
            from,
            to: after.status,
            reason: after.cancellation_reason ?? null,
          },
        }),
      ];
    }
  }
}

/** The consumer of the orders change topic. */
export function createOrderEventsTransformer(options: {
  kafka: Kafka;
  pool: pg.Pool;
  groupId: string;
  ordersTopic: string;
  registry: Registry;
  logger: Logger;
}): CdcConsumer {
  const { pool, groupId, logger } = options;
  const emitted = new Counter({
    name: 'trackops_event_relay_cdc_events_total',
    help: 'Application events derived from order changes, by type.',
    labelNames: ['type'],
    registers: [options.registry],
  });
  const consumer = createCdcConsumer({
    kafka: options.kafka,
    groupId,
    fromBeginning: true,
    consumerConfig: { maxWaitTimeInMs: 100 },
    retry: { attempts: 3, initialMs: 100, maxMs: 1000 },
    logger,
    onError: (error) => logger.warn({ err: error }, 'cdc transformation error'),
    tables: {
      [options.ordersTopic]: async (event: DecodedRecord, context) => {
        if (event.kind !== 'change' || event.op === 't') return;
        const where = `${context.topic}@${context.partition}:${context.offset}`;
        const before =
          event.op === 'u' || event.op === 'd'
            ? event.before === null
              ? undefined
              : // A delete's old image may hold only the key: read just the id then.
                event.op === 'd'
                ? { ...(event.before as OrderRow) }
                : parseRow(event.before, `${where} before`)
            : undefined;
        const after = event.op === 'd' ? undefined : parseRow(event.after, `${where} after`);
        const lsn = event.source.lsn ?? 0n;
        const id = (after ?? before)?.id;
        if (id === undefined) throw new Error(`${where}: a change without the order id`);
        const result = await inbox(
          pool,
          { consumer: groupId, messageId: `orders:${id}:${lsn}:${event.op}` },
          async (tx) => {
            const events = await apply(tx, { op: event.op, before, after, lsn });
            if (events.length > 0) await outbox.enqueue(tx, events);
            return events;
          },
        );
        if (!result.duplicate) {
          for (const emittedEvent of result.result) emitted.inc({ type: emittedEvent.type });
        }
      },
    },
  });
  consumer.on('cdc:dead-lettered', ({ topic, offset, error }) =>
    logger.error({ topic, offset, err: error }, 'order change dead-lettered'),
  );
  return consumer;
}

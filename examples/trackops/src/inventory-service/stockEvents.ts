/**
 * The events inventory writes to its outbox (relayed by the event-relay-service, the event
 * type being the topic), built from the shared contracts.
 */
import { createOutbox, type OutboxEvent } from '@trackops/outbox';
import type { Queryable } from '@trackops/core';
import {
  InventoryLowStock,
  InventoryReleased,
  InventoryReservationFailed,
  InventoryReserved,
} from '../shared/contracts.js';

/** The inventory database's outbox (`public.outbox`, created by `migrate`). */
export const inventoryOutbox = createOutbox();

/** Correlation of the events a command or request causes. */
export interface EventContext {
  correlationId?: string | undefined;
  causationId?: string | undefined;
}

function trace(context: EventContext): { correlationId?: string; causationId?: string } {
  return {
    ...(context.correlationId ? { correlationId: context.correlationId } : {}),
    ...(context.causationId ? { causationId: context.causationId } : {}),
  };
}

/** Availability of one SKU at one moment. */
export interface Stock {
  sku: string;
  available: number;
  threshold: number;
}

/**
 * `inventory.low-stock` for each SKU whose availability crossed its threshold: above it
 * before, at or below it after. Crossing rather than "is low" so a reorder process is told
 * once per drop, not on every further reservation of an item already low.
 */
export function lowStockEvents(
  before: readonly Stock[],
  after: readonly Stock[],
  context: EventContext,
): OutboxEvent[] {
  const previous = new Map(before.map((stock) => [stock.sku, stock]));
  return after
    .filter((stock) => {
      const was = previous.get(stock.sku);
      return (
        stock.available <= stock.threshold && (was === undefined || was.available > was.threshold)
      );
    })
    .map((stock) =>
      InventoryLowStock.create({
        aggregateId: stock.sku,
        payload: stock,
        ...trace(context),
      }),
    );
}

export function reservedEvent(
  reservation: { id: string; orderId: string; items: Array<{ sku: string; quantity: number }> },
  context: EventContext,
): OutboxEvent {
  return InventoryReserved.create({
    aggregateId: reservation.orderId,
    payload: {
      orderId: reservation.orderId,
      reservationId: reservation.id,
      items: reservation.items,
    },
    ...trace(context),
  });
}

export function releasedEvent(
  reservation: { id: string; orderId: string },
  context: EventContext,
): OutboxEvent {
  return InventoryReleased.create({
    aggregateId: reservation.orderId,
    payload: { orderId: reservation.orderId, reservationId: reservation.id },
    ...trace(context),
  });
}

export function reservationFailedEvent(
  orderId: string,
  reason: string,
  context: EventContext,
): OutboxEvent {
  return InventoryReservationFailed.create({
    aggregateId: orderId,
    payload: { orderId, reason },
    ...trace(context),
  });
}

/** Writes events to the inventory outbox in the caller's transaction. */
export async function writeEvents(tx: Queryable, events: readonly OutboxEvent[]): Promise<void> {
  if (events.length > 0) await inventoryOutbox.enqueue(tx, events);
}

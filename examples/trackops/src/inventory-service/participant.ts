/**
 * The inventory side of the order saga: RESERVE_INVENTORY and RELEASE_INVENTORY.
 *
 * Why `inventory.reservation.failed` is written in a transaction of its own: the participant
 * runs a handler under a savepoint and, when it throws `CommandRejected`, rolls back to that
 * savepoint before writing the failure reply — so an event the handler wrote to the outbox
 * would vanish with the refusal. The handler therefore commits the failure event first, through
 * the outbox's `inbox()` keyed by the command's inbox key (saga, step, phase), and then
 * refuses. A redelivered command (the reply's transaction failed after the event committed)
 * finds the key in the inbox and writes no second event. The one window left: if stock arrives
 * between such a failed attempt and its redelivery, the redelivery reserves — consumers then
 * see `inventory.reservation.failed` followed by `inventory.reserved` for the order, and the
 * latter is the truth (as the saga's reply says).
 */
import { inbox } from '@trackops/outbox';
import {
  CommandRejected,
  createSagaParticipant,
  defineCommand,
  handle,
  type SagaParticipant,
} from '@trackops/saga';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import type { Logger } from 'pino';
import { ReleaseInventory, ReserveInventory } from '../shared/contracts.js';
import { release, reserve } from './reservations.js';
import { reservationFailedEvent, writeEvents } from './stockEvents.js';

/** The inbox consumer name under which failure events are recorded once per command. */
export const failureEventConsumer = 'inventory-reservation-failed';

export function createInventoryParticipant(options: {
  pool: pg.Pool;
  kafka: Kafka;
  groupId: string;
  commandTopic: string;
  logger: Logger;
}): SagaParticipant {
  const { pool, logger } = options;
  // The shared commands, on the topic this instance consumes (tests use topics of their own).
  const reserveCommand = defineCommand({ ...ReserveInventory, topic: options.commandTopic });
  const releaseCommand = defineCommand({ ...ReleaseInventory, topic: options.commandTopic });
  return createSagaParticipant({
    pool,
    kafka: options.kafka,
    groupId: options.groupId,
    logger,
    // Replies are relayed by the participant itself; poll often, NOTIFY does the rest.
    relay: { pollIntervalMs: 200 },
    handlers: [
      handle(reserveCommand, async (payload, { tx, correlationId, messageId, sagaId }) => {
        const context = { correlationId, causationId: messageId };
        const outcome = await reserve(tx, payload, context);
        switch (outcome.kind) {
          case 'reserved':
            return { reservationId: outcome.reservation.id };
          case 'insufficient':
          case 'released': {
            await inbox(pool, { consumer: failureEventConsumer, messageId }, (own) =>
              writeEvents(own, [reservationFailedEvent(payload.orderId, outcome.reason, context)]),
            );
            logger.info(
              { sagaId, correlationId, orderId: payload.orderId, reason: outcome.reason },
              'reservation refused',
            );
            throw new CommandRejected(outcome.reason);
          }
        }
      }),
      handle(releaseCommand, async (payload, { tx, correlationId, messageId }) => {
        const { released } = await release(tx, payload.orderId, {
          correlationId,
          causationId: messageId,
        });
        return { released };
      }),
    ],
  });
}

/**
 * The saga commands and topics of one order-service deployment. The contracts fix the topic
 * names (`inventory.commands`, `payment.commands`, `order.saga.replies`); a `topicPrefix` puts
 * a whole deployment on topics of its own (tests run several in parallel on one broker), and
 * its participants must then be built from the same commands.
 */
import { defineCommand, type CommandDefinition } from '@trackops/saga';
import {
  ProcessPayment,
  RefundPayment,
  ReleaseInventory,
  ReserveInventory,
  topics,
} from '../shared/contracts.js';

/** The commands the order sagas send, and the topic their replies come back on. */
export interface OrderCommands {
  reserveInventory: typeof ReserveInventory;
  releaseInventory: typeof ReleaseInventory;
  processPayment: typeof ProcessPayment;
  refundPayment: typeof RefundPayment;
  replyTopic: string;
}

const prefixPattern = /^[A-Za-z0-9._-]{0,100}$/;

/** `topic` under `prefix` (`<prefix>.<topic>`), or `topic` itself without a prefix. */
export function prefixedTopic(prefix: string, topic: string): string {
  if (!prefixPattern.test(prefix)) {
    throw new Error(`topicPrefix: must be 0-100 letters, digits, ., _ or - (got ${prefix})`);
  }
  return prefix === '' ? topic : `${prefix}.${topic}`;
}

function onPrefix<C extends CommandDefinition>(command: C, prefix: string): C {
  if (prefix === '') return command;
  return defineCommand({ ...command, topic: prefixedTopic(prefix, command.topic) }) as C;
}

/**
 * The contracts' commands, on `<topicPrefix>.<topic>` when a prefix is given.
 *
 * @example
 * ```ts
 * const commands = orderCommands(''); // the shared topics of the real deployment
 * ```
 */
export function orderCommands(topicPrefix = ''): OrderCommands {
  return {
    reserveInventory: onPrefix(ReserveInventory, topicPrefix),
    releaseInventory: onPrefix(ReleaseInventory, topicPrefix),
    processPayment: onPrefix(ProcessPayment, topicPrefix),
    refundPayment: onPrefix(RefundPayment, topicPrefix),
    replyTopic: prefixedTopic(topicPrefix, topics.orderSagaReplies),
  };
}

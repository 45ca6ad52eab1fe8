/**
 * The transactional outbox for PostgreSQL and Kafka.
 *
 * - {@link enqueue} / {@link createOutbox}: write events in the caller's transaction.
 * - {@link defineEvent}: declare an event type with its zod payload schema.
 * - {@link migrate}: create or upgrade the outbox table (Debezium Outbox Event Router columns).
 * - {@link createRelay}: publish rows to Kafka, in order per aggregate, at least once.
 * - {@link outboxStatus}, {@link listDead}, {@link replayDead}, {@link purgeDead},
 *   {@link purgePublished}: operate the table (also as the `trackops-outbox` CLI).
 * - `@trackops/outbox/prometheus`: prom-client metrics for a relay.
 *
 * @packageDocumentation
 */

/**
 * The version of this package, equal to the `version` in its package.json.
 */
export const VERSION = '0.0.0';

export { OutboxError, type OutboxErrorCode } from './errors.js';
export {
  outboxTableSchema,
  outboxNames,
  type OutboxTableOptions,
  type OutboxNames,
} from './table.js';
export { migrate, outboxMigrations } from './migrations.js';
export {
  defineEvent,
  outboxEventSchema,
  type OutboxEvent,
  type EventDefinition,
  type EventInput,
} from './events.js';
export { enqueue, createOutbox, type Outbox } from './enqueue.js';
export { routeSchema, type RouteOptions, type Route } from './routing.js';
export {
  createRelay,
  OutboxRelay,
  relayOptionsSchema,
  type RelayOptions,
  type RelayEvents,
  type BatchResult,
} from './relay.js';
export {
  outboxStatus,
  listDead,
  replayDead,
  purgeDead,
  purgePublished,
  purgePublishedOptionsSchema,
  type OutboxStatus,
  type OutboxTableSelection,
  type DeadEvent,
  type PurgePublishedOptions,
} from './operations.js';
export {
  inbox,
  markProcessed,
  migrateInbox,
  inboxTableSchema,
  type InboxKey,
  type InboxResult,
  type InboxTableOptions,
} from './inbox.js';
export {
  createInboxConsumer,
  InboxConsumer,
  inboxConsumerOptionsSchema,
  type InboxConsumerOptions,
  type InboxConsumerEvents,
  type InboxMessage,
} from './inboxConsumer.js';
// Dead letters of this package's consumers are replayed with the shared replay.
export {
  replayDeadLetters,
  replayDeadLettersOptionsSchema,
  type ReplayDeadLettersOptions,
  type DeadLetterRecord,
  type ReplayedRecord,
  type ReplayResult,
} from '@trackops/core';
export {
  debeziumOutboxConnector,
  debeziumOutboxOptionsSchema,
  type DebeziumOutboxOptions,
  type ConnectorDefinition,
} from './debezium.js';

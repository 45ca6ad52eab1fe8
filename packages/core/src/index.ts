/**
 * The small runtime shared by the TrackOps packages. Nothing domain-specific lives here:
 * the error base class, option parsing that names the bad option, SQL identifier quoting,
 * the migration runner, backoff, the logger interface, a typed event emitter, and the
 * dead-letter headers every TrackOps consumer writes with the replay that reads them back.
 *
 * @packageDocumentation
 */

export { TrackOpsError, isTrackOpsError, type TrackOpsErrorOptions } from './errors.js';
export { parseOptions, describeIssues, optionTypes } from './options.js';
export { Lifecycle } from './lifecycle.js';
export {
  quoteIdentifier,
  qualifiedName,
  withTransaction,
  checkOut,
  type Queryable,
  type QueryConfig,
  type QueryResultLike,
  type ConnectionPool,
  type PooledConnection,
} from './sql.js';
export { queryPrepared } from './prepared.js';
export {
  runMigrations,
  type Migration,
  type MigrationTarget,
  type MigrationResult,
} from './migrations.js';
export { backoffDelay, type BackoffPolicy } from './backoff.js';
export { silentLogger, type Logger } from './logger.js';
export { TypedEmitter, type EventMap, type Listener } from './emitter.js';
export {
  deadLetterTopic,
  deadLetterRecordHeaders,
  deadLetterHeaders,
  type DeadLetterContext,
} from './deadLetter.js';
export {
  replayDeadLetters,
  replayHeaders,
  replayedFromHeader,
  replayDeadLettersOptionsSchema,
  type ReplayDeadLettersOptions,
  type DeadLetterRecord,
  type ReplayedRecord,
  type ReplayResult,
} from './deadLetterReplay.js';
export {
  registerMetrics,
  metricsRegistryOption,
  metricsAdapterFields,
  perScrapeQuery,
  type MetricsRegistryLike,
} from './metricsRegistry.js';
export { messageRetrySchema, messageRetryBackoff, type MessageRetry } from './retry.js';
export { debeziumPostgresConnection, slotNameFor } from './debezium.js';

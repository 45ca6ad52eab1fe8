/**
 * Typed decoding of Debezium change events for PostgreSQL.
 *
 * - {@link createDecoder} / {@link decodeRecord}: a Kafka record written by the Debezium
 *   PostgreSQL connector through JsonConverter (`schemas.enable` true or false, envelope or
 *   `ExtractNewRecordState`) becomes a {@link DecodedRecord}, a discriminated union on `kind`
 *   and `op`, with logical types as faithful JavaScript values.
 * - {@link defineTable} and the {@link column} helpers: declare a table once for typed,
 *   validated `before`/`after`.
 * - {@link UNAVAILABLE} / {@link isUnavailable}: the TOAST unavailable-value marker.
 * - {@link DebeziumDecodeError}: malformed input, with the JSON path of the problem.
 * - {@link decodeOutboxRecord}: records of Debezium's Outbox Event Router.
 *
 * Still to come (issue 5): the CDC consumer with retries and DLQ, the Kafka Connect client and
 * replication-slot lag.
 *
 * @packageDocumentation
 */

/**
 * The version of this package, equal to the `version` in its package.json.
 */
export const VERSION = '0.0.0';

export {
  createDecoder,
  decodeRecord,
  decoderOptionsSchema,
  type Decoder,
  type DecoderOptions,
} from './decoder.js';
export type {
  DecodedRecord,
  ChangeEvent,
  ChangeEventBase,
  ReadEvent,
  CreateEvent,
  UpdateEvent,
  DeleteEvent,
  TruncateEvent,
  MessageEvent,
  TombstoneEvent,
  HeartbeatEvent,
  TransactionEvent,
  TransactionEventBase,
  TransactionBeginEvent,
  TransactionEndEvent,
  DataCollectionCount,
  UnwrappedEvent,
  UnwrappedEventBase,
  UnwrappedUpsert,
  UnwrappedDelete,
  SourceInfo,
  SnapshotMarker,
  TransactionBlock,
  RecordHeaders,
  UntypedRow,
} from './events.js';
export {
  defineTable,
  type Table,
  type TableOptions,
  type Columns,
  type RowOf,
  type KeyOf,
} from './table.js';
export * as column from './columns.js';
export {
  UNAVAILABLE,
  UNAVAILABLE_PLACEHOLDER,
  isUnavailable,
  type Unavailable,
} from './markers.js';
export { Timestamp } from './values.js';
export type { JsonValue } from './json.js';
export type { KafkaRecordLike, HeaderValue } from './record.js';
export {
  DebeziumDecodeError,
  type DebeziumDecodeErrorCode,
  type DebeziumDecodeErrorOptions,
} from './errors.js';
export { decodeOutboxRecord, type OutboxRouterEvent } from './outbox.js';

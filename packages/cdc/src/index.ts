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
 * - {@link generateTables}: `defineTable` declarations generated from `information_schema`
 *   (also the `trackops-cdc-codegen` command).
 * - {@link createCdcConsumer}: a kafkajs consumer that decodes, retries, dead-letters to
 *   `<topic>.dlq` and commits only what it finished; {@link replayDeadLetters} and
 *   {@link consumerLag} to operate it.
 * - {@link createConnectClient}, {@link ensureConnector}, {@link postgresConnectorConfig}: the
 *   Kafka Connect REST API, typed; {@link slotLag}: WAL held by replication slots.
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
export {
  createConnectClient,
  connectClientOptionsSchema,
  type ConnectClient,
  type ConnectClientOptions,
  type ConnectorConfig,
  type ConnectorDefinition,
  type ConnectorState,
  type ConnectorUnitStatus,
  type TaskStatus,
  type ConnectorStatus,
  type TaskInfo,
  type ConnectorInfo,
  type ConnectorPlugin,
  type ConfigFieldValidation,
  type ConfigValidation,
  type RestartOptions,
} from './connectClient.js';
export {
  ConnectError,
  type ConnectErrorCode,
  type ConnectErrorOptions,
  type ConnectFieldError,
} from './connectError.js';
export {
  ensureConnector,
  ensureConnectorOptionsSchema,
  deleteConnector,
  type EnsureConnectorOptions,
  type EnsureConnectorResult,
  type DeleteConnectorOptions,
} from './ensureConnector.js';
export {
  postgresConnectorConfig,
  postgresConnectorOptionsSchema,
  type PostgresConnectorOptions,
} from './connectorConfig.js';
export {
  slotLag,
  waitForActiveSlot,
  type SlotLag,
  type SlotLagOptions,
  type WaitForSlotOptions,
} from './slots.js';
export {
  createCdcConsumer,
  tableHandler,
  cdcConsumerOptionsSchema,
  CdcConsumer,
  type CdcConsumerOptions,
  type CdcConsumerEvents,
  type CdcHandler,
  type CdcTableHandler,
  type CdcMessageContext,
} from './consumer.js';
export { consumerLag, type ConsumerLag, type PartitionLag } from './consumerLag.js';
export {
  replayDeadLetters,
  replayHeaders,
  replayedFromHeader,
  replayDeadLettersOptionsSchema,
  type ReplayDeadLettersOptions,
  type DeadLetterRecord,
  type ReplayedRecord,
  type ReplayResult,
} from '@trackops/core';
export type { KafkaClient, KafkaAdmin, KafkaHeaders, KafkaConsumerConfig } from './kafkaTypes.js';
export {
  generateTables,
  renderTables,
  readTables,
  columnExpression,
  CodegenError,
  type GenerateTablesOptions,
  type CatalogTable,
  type CatalogColumn,
} from './codegen.js';

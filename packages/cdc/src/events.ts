/**
 * What the decoder returns: one discriminated union over every kind of record Debezium writes
 * for PostgreSQL. Switch on `kind`, then on `op` for change events.
 */

/** A row as decoded without a table declaration. */
export type UntypedRow = Readonly<Record<string, unknown>>;

/** `source.snapshot` as Debezium 3 writes it: a string, never a boolean. */
export type SnapshotMarker =
  | 'true'
  | 'first'
  | 'first_in_data_collection'
  | 'last_in_data_collection'
  | 'last'
  | 'false'
  | 'incremental';

/** The `source` block: where and when the change happened. */
export interface SourceInfo {
  /** Debezium's version, e.g. `'3.2.7.Final'`. */
  readonly version: string;
  /** The connector type, `'postgresql'`. */
  readonly connector: string;
  /** The connector's logical name (`topic.prefix`). */
  readonly name: string;
  /** `ts_ms`: commit time of the change in the database, in milliseconds since the epoch. */
  readonly tsMs: number;
  /** `ts_us`: the same in microseconds, where present. */
  readonly tsUs: number | undefined;
  /** `ts_ns`: the same in nanoseconds (beyond 2^53, hence `bigint`), where present. */
  readonly tsNs: bigint | undefined;
  /** Whether and where the event belongs to a snapshot (`'false'` when streaming). */
  readonly snapshot: SnapshotMarker;
  /** The database name. */
  readonly db: string;
  /** The PostgreSQL schema (`''` for a logical decoding message). */
  readonly schema: string;
  /** The table (`''` for a logical decoding message). */
  readonly table: string;
  /**
   * `sequence`, which Debezium writes as JSON text: `[lastCommitLsn, lsn]`, LSNs as decimal
   * strings or null.
   */
  readonly sequence: readonly (string | null)[] | null;
  /** The PostgreSQL transaction id; null for a non-transactional message. */
  readonly txId: number | null;
  /** The change's log sequence number (WAL position), as a `bigint`. */
  readonly lsn: bigint | null;
  /** `xmin`, null unless `xmin.fetch.interval.ms` is set. */
  readonly xmin: number | null;
}

/**
 * The `transaction` block of a change event (`provide.transaction.metadata=true`).
 * Correlate with the transaction's BEGIN/END by {@link TransactionBlock.txId}: the LSN part of
 * the `id` differs between BEGIN, each event and END.
 */
export interface TransactionBlock {
  /** Debezium's `"<txId>:<lsn>"`. */
  readonly id: string;
  /** The PostgreSQL transaction id, the part of `id` before the colon. */
  readonly txId: number;
  /** `total_order`: the event's position among all events of the transaction, from 1. */
  readonly totalOrder: number;
  /** `data_collection_order`: its position among the events of its table, from 1. */
  readonly dataCollectionOrder: number;
}

/** The Debezium headers of a record, each as UTF-8 text. */
export type RecordHeaders = Readonly<Record<string, string>>;

/** What every change event (ops c, u, d, r, t) has. */
export interface ChangeEventBase<Key> {
  /** Discriminates change events from the other records. */
  readonly kind: 'change';
  /** The topic, when the record passed to the decoder had one. */
  readonly topic: string | undefined;
  /** The decoded Kafka key (the primary key); null for a truncate. */
  readonly key: Key | null;
  /** Where and when the change happened. */
  readonly source: SourceInfo;
  /** The transaction block, or null without transaction metadata. */
  readonly transaction: TransactionBlock | null;
  /** `ts_ms`: when Debezium processed the event. */
  readonly tsMs: number;
  /** `ts_us`, where present. */
  readonly tsUs: number | undefined;
  /** `ts_ns`, where present. */
  readonly tsNs: bigint | undefined;
  /** The record's headers as text. */
  readonly headers: RecordHeaders;
}

/** A snapshot read (`op: 'r'`). */
export interface ReadEvent<Row, Key> extends ChangeEventBase<Key> {
  /** A snapshot read. */
  readonly op: 'r';
  /** Always null. */
  readonly before: null;
  /** The row as read. */
  readonly after: Row;
}

/** An insert (`op: 'c'`). */
export interface CreateEvent<Row, Key> extends ChangeEventBase<Key> {
  /** An insert. */
  readonly op: 'c';
  /** Always null. */
  readonly before: null;
  /** The inserted row. */
  readonly after: Row;
  /**
   * The previous key when this insert is the second half of a primary-key update (header
   * `__debezium.oldkey`); undefined otherwise.
   */
  readonly oldKey: Key | undefined;
}

/** An update (`op: 'u'`). */
export interface UpdateEvent<Row, Key> extends ChangeEventBase<Key> {
  /** An update. */
  readonly op: 'u';
  /**
   * The old row under `REPLICA IDENTITY FULL`; null under `DEFAULT`.
   */
  readonly before: Row | null;
  /** The new row; unchanged TOAST columns are `UNAVAILABLE` under `REPLICA IDENTITY DEFAULT`. */
  readonly after: Row;
}

/** A delete (`op: 'd'`); Debezium follows it with a tombstone. */
export interface DeleteEvent<Row, Key> extends ChangeEventBase<Key> {
  /** A delete. */
  readonly op: 'd';
  /**
   * The old row. Under `REPLICA IDENTITY DEFAULT` only the key columns are data: the others are
   * null, or a type default (`''`, `0`) for NOT NULL columns.
   */
  readonly before: Row;
  /** Always null. */
  readonly after: null;
  /**
   * The new key when this delete is the first half of a primary-key update (header
   * `__debezium.newkey`); undefined otherwise.
   */
  readonly newKey: Key | undefined;
}

/** A truncate (`op: 't'`, only with `skipped.operations=none`): one per truncated table. */
export interface TruncateEvent<Key> extends ChangeEventBase<Key> {
  /** A truncate. */
  readonly op: 't';
  /** Always null. */
  readonly before: null;
  /** Always null. */
  readonly after: null;
}

/**
 * A change to a row, discriminated by `op`.
 *
 * @typeParam Row - The decoded row ({@link UntypedRow} without a table declaration).
 * @typeParam Key - The decoded key.
 */
export type ChangeEvent<Row = UntypedRow, Key = UntypedRow> =
  | ReadEvent<Row, Key>
  | CreateEvent<Row, Key>
  | UpdateEvent<Row, Key>
  | DeleteEvent<Row, Key>
  | TruncateEvent<Key>;

/** A logical decoding message (`pg_logical_emit_message`, `op: 'm'`, on `<prefix>.message`). */
export interface MessageEvent {
  /** A logical decoding message. */
  readonly kind: 'message';
  /** Always `'m'`. */
  readonly op: 'm';
  /** The topic, when known. */
  readonly topic: string | undefined;
  /** The message's prefix (also the Kafka key). */
  readonly prefix: string | null;
  /** The content, decoded from base64. */
  readonly content: Uint8Array;
  /** Whether it was emitted inside a transaction (then `source.txId` is set). */
  readonly transactional: boolean;
  /** Where and when it was emitted; `schema` and `table` are `''`. */
  readonly source: SourceInfo;
  /** The transaction block, or null. */
  readonly transaction: TransactionBlock | null;
  /** `ts_ms`: when Debezium processed it. */
  readonly tsMs: number;
  /** The record's headers (none from Debezium 3.2). */
  readonly headers: RecordHeaders;
}

/** A tombstone: a null value after a delete, so log compaction can drop the key. */
export interface TombstoneEvent<Key = UntypedRow> {
  /** A Kafka tombstone. */
  readonly kind: 'tombstone';
  /** The topic, when known. */
  readonly topic: string | undefined;
  /** The deleted row's key. */
  readonly key: Key | null;
  /** The new key after a primary-key update (header `__debezium.newkey`); undefined otherwise. */
  readonly newKey: Key | undefined;
  /** The record's headers as text. */
  readonly headers: RecordHeaders;
}

/** A heartbeat (`heartbeat.interval.ms`) on `__debezium-heartbeat.<prefix>`. */
export interface HeartbeatEvent {
  /** A heartbeat. */
  readonly kind: 'heartbeat';
  /** The topic, when known. */
  readonly topic: string | undefined;
  /** The key's `serverName` (the connector's topic prefix), if the key had one. */
  readonly serverName: string | undefined;
  /** When it was emitted. */
  readonly tsMs: number;
}

/** One entry of a transaction's END `data_collections`. */
export interface DataCollectionCount {
  /** `schema.table`. */
  readonly dataCollection: string;
  /** How many events the transaction produced for it. */
  readonly eventCount: number;
}

/** What BEGIN and END (on `<prefix>.transaction`) share. */
export interface TransactionEventBase {
  /** Transaction metadata. */
  readonly kind: 'transaction';
  /** The topic, when known. */
  readonly topic: string | undefined;
  /** Debezium's `"<txId>:<lsn>"`: the LSN part differs between BEGIN and END. */
  readonly id: string;
  /** The PostgreSQL transaction id: correlate BEGIN, END and events by it. */
  readonly txId: number;
  /** The transaction's commit time (`source.ts_ms` of its events). */
  readonly tsMs: number;
}

/** A transaction's BEGIN (`provide.transaction.metadata=true`). */
export interface TransactionBeginEvent extends TransactionEventBase {
  /** Start of a transaction. */
  readonly status: 'BEGIN';
}

/** A transaction's END, with how many events it produced per table. */
export interface TransactionEndEvent extends TransactionEventBase {
  /** End of a transaction. */
  readonly status: 'END';
  /** Events produced by the transaction. */
  readonly eventCount: number;
  /** Events per table, in no order to rely on. */
  readonly dataCollections: readonly DataCollectionCount[];
}

/** Transaction metadata, discriminated by `status`. */
export type TransactionEvent = TransactionBeginEvent | TransactionEndEvent;

/** What unwrapped rows (ExtractNewRecordState) share. */
export interface UnwrappedEventBase<Key> {
  /** A record flattened by `ExtractNewRecordState`. */
  readonly kind: 'unwrapped';
  /** The topic, when known. */
  readonly topic: string | undefined;
  /** The decoded Kafka key. */
  readonly key: Key | null;
  /**
   * The operation, from the added field `__op` (`add.fields=op`); `'d'` for a default-mode
   * delete; undefined when the SMT adds no op.
   */
  readonly op: 'c' | 'u' | 'd' | 'r' | undefined;
  /** The fields the SMT added (`add.fields`), without their `__` prefix: `op`, `table`, `lsn` … */
  readonly fields: Readonly<Record<string, unknown>>;
  /** The previous key (header `__debezium.oldkey`) after a primary-key update. */
  readonly oldKey: Key | undefined;
  /** The new key (header `__debezium.newkey`) of a delete that was a primary-key update. */
  readonly newKey: Key | undefined;
  /** The record's headers as text. */
  readonly headers: RecordHeaders;
}

/** An inserted, updated or read row in the unwrapped form. */
export interface UnwrappedUpsert<Row, Key> extends UnwrappedEventBase<Key> {
  /** Not a deletion. */
  readonly deleted: false;
  /** The row after the change. */
  readonly row: Row;
}

/**
 * A deletion in the unwrapped form: in the default `delete.tombstone.handling.mode` a record
 * whose value is the JSON text `null` (not a Kafka tombstone: log compaction keeps it), so
 * `row` is null; in `rewrite` mode the delete's `before` image with `__deleted: "true"`.
 */
export interface UnwrappedDelete<Row, Key> extends UnwrappedEventBase<Key> {
  /** A deletion. */
  readonly deleted: true;
  /** The old row (rewrite mode: key columns are data, others null or a type default) or null. */
  readonly row: Row | null;
}

/** A row flattened by `ExtractNewRecordState`, discriminated by `deleted`. */
export type UnwrappedEvent<Row = UntypedRow, Key = UntypedRow> =
  UnwrappedUpsert<Row, Key> | UnwrappedDelete<Row, Key>;

/**
 * Any record Debezium writes for PostgreSQL, decoded. Discriminated by `kind`: `change` (then by
 * `op`), `message`, `tombstone`, `heartbeat`, `transaction` (then by `status`) and `unwrapped`
 * (then by `deleted`).
 *
 * @typeParam Row - The row type of the table ({@link UntypedRow} when undeclared).
 * @typeParam Key - The key type.
 */
export type DecodedRecord<Row = UntypedRow, Key = UntypedRow> =
  | ChangeEvent<Row, Key>
  | MessageEvent
  | TombstoneEvent<Key>
  | HeartbeatEvent
  | TransactionEvent
  | UnwrappedEvent<Row, Key>;

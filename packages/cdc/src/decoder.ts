import { parseOptions } from '@trackops/core';
import { z } from 'zod';
import { fromStruct } from './connectSchema.js';
import { child, invalid, root, type Path } from './errors.js';
import {
  decodeEnvelope,
  parsePayload,
  untyped,
  type EnvelopeContext,
  type Payload,
  type RowCodec,
  type SchemaHint,
} from './envelope.js';
import type {
  DataCollectionCount,
  DecodedRecord,
  HeartbeatEvent,
  RecordHeaders,
  TransactionEvent,
  UnwrappedEvent,
  UntypedRow,
} from './events.js';
import { isJsonObject, type JsonValue } from './json.js';
import { UNAVAILABLE, isArrayPlaceholder, isTextPlaceholder } from './markers.js';
import { headersOf, textOf, type KafkaRecordLike } from './record.js';
import { numberAt, objectAt, stringAt, txIdOf } from './source.js';
import type { Table } from './table.js';

/** Options of {@link createDecoder}. */
export const decoderOptionsSchema = z.object({
  /**
   * Which form change events take on the topics decoded: `envelope` (Debezium's), `unwrapped`
   * (`ExtractNewRecordState`), or `auto`, which takes a value with `op`, `source`, `before` or
   * `after` for an envelope and anything else (including the JSON text `null`) for an unwrapped
   * row. Choose explicitly when a table has a column named like an envelope field.
   *
   * @defaultValue `'auto'`
   */
  form: z.union([z.literal('auto'), z.literal('envelope'), z.literal('unwrapped')]).default('auto'),
  /**
   * The prefix `ExtractNewRecordState` gives the fields it adds (its `add.fields.prefix`).
   *
   * @defaultValue `'__'`
   */
  unwrapFieldPrefix: z.string().min(1).default('__'),
  /**
   * The prefix of heartbeat topics (the connector's `topic.heartbeat.prefix`).
   *
   * @defaultValue `'__debezium-heartbeat'`
   */
  heartbeatTopicPrefix: z.string().min(1).default('__debezium-heartbeat'),
});

/** Options of {@link createDecoder}, as given. */
export type DecoderOptions = z.input<typeof decoderOptionsSchema>;

type ResolvedOptions = z.output<typeof decoderOptionsSchema>;

/** Decodes Kafka records written by Debezium's PostgreSQL connector through JsonConverter. */
export interface Decoder {
  /**
   * Decodes a record without a table declaration: rows are {@link UntypedRow}. With
   * `schemas.enable=true` logical types are converted by the record's schema; without, values
   * stay as JsonConverter wrote them except the TOAST placeholder and large integers.
   *
   * @param record - The Kafka record (a kafkajs message with its topic).
   * @throws {@link DebeziumDecodeError} when the record is not a Debezium event.
   */
  decode(record: KafkaRecordLike): DecodedRecord;
  /**
   * Decodes a record of a declared table: `before`, `after`, `row` and keys are converted and
   * validated as the table declares.
   *
   * @param record - The Kafka record (a kafkajs message with its topic).
   * @param table - The table the record's topic carries.
   * @throws {@link DebeziumDecodeError} when the record is not a Debezium event of that table.
   */
  decode<Row, Key>(record: KafkaRecordLike, table: Table<Row, Key>): DecodedRecord<Row, Key>;
}

/**
 * Creates a decoder. Options are checked once, here.
 *
 * @param options - See {@link decoderOptionsSchema}.
 * @returns A decoder. It keeps no state between records but a cache of the Connect schema
 *   texts it has parsed (`schemas.enable=true`; the last 256 distinct texts, shared by all
 *   decoders, each compared in full before it is reused), so that the schema every record of a
 *   topic repeats is parsed and checked once.
 *
 * @example
 * ```ts
 * const decoder = createDecoder();
 * await consumer.run({
 *   eachMessage: async ({ topic, message }) => {
 *     const event = decoder.decode({ topic, ...message }, parcels);
 *     if (event.kind !== 'change') return;
 *     switch (event.op) {
 *       case 'c':
 *       case 'r':
 *       case 'u':
 *         await upsert(event.after);
 *         break;
 *       case 'd':
 *         await remove(event.before.id);
 *         break;
 *       case 't':
 *         await clear();
 *         break;
 *     }
 *   },
 * });
 * ```
 */
export function createDecoder(options: DecoderOptions = {}): Decoder {
  const resolved = parseOptions(decoderOptionsSchema, options, 'createDecoder');
  return {
    decode: <Row, Key>(record: KafkaRecordLike, table?: Table<Row, Key>) =>
      decodeWith(
        record,
        resolved,
        (table === undefined ? untyped : codecOf(table)) as RowCodec<Row, Key>,
      ),
  };
}

const defaultDecoder = createDecoder();

/**
 * Decodes one record with the default options (see {@link createDecoder}).
 *
 * @param record - The Kafka record.
 * @returns The decoded record, with untyped rows.
 * @throws {@link DebeziumDecodeError} when the record is not a Debezium event.
 */
export function decodeRecord(record: KafkaRecordLike): DecodedRecord {
  return defaultDecoder.decode(record);
}

function codecOf<Row, Key>(table: Table<Row, Key>): RowCodec<Row, Key> {
  return { row: table.decodeRow, key: table.decodeKey };
}

const keyPath = root('key');
const valuePath = root('value');

function parsePart(text: string | null, path: Path, hint?: SchemaHint): Payload | null {
  return text === null ? null : parsePayload(text, path, hint);
}

function decodeKey<Row, Key>(key: Payload | null, codec: RowCodec<Row, Key>): Key | null {
  if (key === null || key.payload === null) return null;
  return codec.key(key.payload, key.path, key.schema);
}

/** The key Debezium puts in a `__debezium.oldkey` / `__debezium.newkey` header, if any. */
function keyHeader<Row, Key>(
  headers: RecordHeaders,
  name: string,
  codec: RowCodec<Row, Key>,
): Key | undefined {
  const text = headers[name];
  if (text === undefined) return undefined;
  const path: Path = child(headersPath, name);
  return decodeKey(parsePart(text, path), codec) ?? undefined;
}

const headersPath = root('headers');

function decodeWith<Row, Key>(
  record: KafkaRecordLike,
  options: ResolvedOptions,
  codec: RowCodec<Row, Key>,
): DecodedRecord<Row, Key> {
  const topic = record.topic;
  const headers = headersOf(record.headers);
  const key = parsePart(
    textOf(record.key, keyPath),
    keyPath,
    topic === undefined ? undefined : { topic, part: 'key' },
  );
  const valueText = textOf(record.value, valuePath);

  if (
    topic?.startsWith(options.heartbeatTopicPrefix) === true &&
    isHeartbeatTopic(topic, options)
  ) {
    return decodeHeartbeat(topic, key, parsePart(valueText, valuePath));
  }
  const newKey = keyHeader(headers, '__debezium.newkey', codec);
  if (valueText === null) {
    return { kind: 'tombstone', topic, key: decodeKey(key, codec), newKey, headers };
  }
  const value = parsePart(
    valueText,
    valuePath,
    topic === undefined ? undefined : { topic, part: 'value' },
  )!;
  if (isTransaction(value.payload)) return decodeTransaction(topic, value);
  if (isHeartbeat(key, value.payload)) return decodeHeartbeat(topic, key, value);

  const context: EnvelopeContext<Row, Key> = {
    topic,
    key: decodeKey(key, codec),
    headers,
    oldKey: keyHeader(headers, '__debezium.oldkey', codec),
    newKey,
    codec,
  };
  const envelope =
    options.form === 'envelope' ||
    (options.form === 'auto' &&
      isJsonObject(value.payload) &&
      ('op' in value.payload ||
        'source' in value.payload ||
        'before' in value.payload ||
        'after' in value.payload));
  return envelope
    ? decodeEnvelope(value, context)
    : decodeUnwrapped(value, context, options.unwrapFieldPrefix);
}

function isHeartbeatTopic(topic: string, options: ResolvedOptions): boolean {
  return topic.charCodeAt(options.heartbeatTopicPrefix.length) === DOT;
}

const DOT = 0x2e;

// BEGIN/END values: {status, id, event_count, data_collections, ts_ms}.
function isTransaction(payload: JsonValue): boolean {
  return (
    isJsonObject(payload) &&
    (payload['status'] === 'BEGIN' || payload['status'] === 'END') &&
    'data_collections' in payload &&
    'event_count' in payload
  );
}

// A heartbeat off its usual topic: key {serverName}, value {ts_ms} and nothing else.
function isHeartbeat(key: Payload | null, payload: JsonValue): boolean {
  return (
    isJsonObject(key?.payload) &&
    typeof key.payload['serverName'] === 'string' &&
    isJsonObject(payload) &&
    Object.keys(payload).length === 1 &&
    'ts_ms' in payload
  );
}

function decodeHeartbeat(
  topic: string | undefined,
  key: Payload | null,
  value: Payload | null,
): HeartbeatEvent {
  const payload = objectAt(value?.payload, value?.path ?? valuePath, 'a heartbeat value { ts_ms }');
  const serverName = isJsonObject(key?.payload) ? key.payload['serverName'] : undefined;
  return {
    kind: 'heartbeat',
    topic,
    serverName: typeof serverName === 'string' ? serverName : undefined,
    tsMs: numberAt(payload, 'ts_ms', value!.path),
  };
}

function decodeTransaction(topic: string | undefined, value: Payload): TransactionEvent {
  const path = value.path;
  const payload = objectAt(value.payload, path, 'a transaction event');
  const id = stringAt(payload, 'id', path);
  const base = {
    kind: 'transaction' as const,
    topic,
    id,
    txId: txIdOf(id, child(path, 'id')),
    tsMs: numberAt(payload, 'ts_ms', path),
  };
  if (payload['status'] === 'BEGIN') return { ...base, status: 'BEGIN' };
  const collectionsPath = child(path, 'data_collections');
  const collections = payload['data_collections'];
  if (!Array.isArray(collections)) return invalid(collectionsPath, 'an array', collections);
  const dataCollections = collections.map((entry, index): DataCollectionCount => {
    const at = child(collectionsPath, index);
    const object = objectAt(entry, at, 'an object { data_collection, event_count }');
    return {
      dataCollection: stringAt(object, 'data_collection', at),
      eventCount: numberAt(object, 'event_count', at),
    };
  });
  return {
    ...base,
    status: 'END',
    eventCount: numberAt(payload, 'event_count', path),
    dataCollections,
  };
}

const unwrappedOps: ReadonlySet<unknown> = new Set(['c', 'u', 'd', 'r']);

function decodeUnwrapped<Row, Key>(
  value: Payload,
  context: EnvelopeContext<Row, Key>,
  prefix: string,
): UnwrappedEvent<Row, Key> {
  // Default delete.tombstone.handling.mode: the delete's value is JSON null (the text `null`).
  if (value.payload === null) {
    return {
      kind: 'unwrapped',
      topic: context.topic,
      key: context.key,
      oldKey: context.oldKey,
      newKey: context.newKey,
      headers: context.headers,
      op: 'd',
      fields: {},
      deleted: true,
      row: null,
    };
  }
  const raw = objectAt(value.payload, value.path, 'an unwrapped row (an object) or null');
  const fields: Record<string, unknown> = {};
  const columns: { [name: string]: JsonValue } = {};
  let hasFields = false;
  for (const name in raw) {
    const item = raw[name]!;
    if (name.startsWith(prefix)) {
      fields[name.slice(prefix.length)] = item;
      hasFields = true;
    } else columns[name] = item;
  }
  const op = fields['op'];
  if (op !== undefined && !unwrappedOps.has(op)) {
    invalid(child(value.path, `${prefix}op`), 'one of c, u, d, r', op);
  }
  const deletedField = fields['deleted'];
  if (deletedField !== undefined && deletedField !== 'true' && deletedField !== 'false') {
    invalid(child(value.path, `${prefix}deleted`), 'the string "true" or "false"', deletedField);
  }
  if (hasFields) {
    if (value.schema !== undefined) {
      // Convert the added fields by their schema too (e.g. __lsn as int64).
      const converted = fromStruct(raw, value.schema, value.path);
      for (const name in fields) fields[name] = converted[`${prefix}${name}`];
    }
    for (const name in fields) {
      const item = fields[name];
      if (isTextPlaceholder(item) || isArrayPlaceholder(item)) fields[name] = UNAVAILABLE;
    }
  }
  // With a schema the row is converted from the full struct; the added fields are not columns.
  const row = context.codec.row(
    value.schema === undefined ? columns : raw,
    value.path,
    value.schema,
  );
  // Without a schema the untyped row is built from `columns`, which has no added fields.
  const rowWithoutFields =
    context.codec === (untyped as unknown) && value.schema !== undefined
      ? stripFields(row as UntypedRow, prefix)
      : row;
  return {
    kind: 'unwrapped',
    topic: context.topic,
    key: context.key,
    oldKey: context.oldKey,
    newKey: context.newKey,
    headers: context.headers,
    op: op as 'c' | 'u' | 'd' | 'r' | undefined,
    fields,
    deleted: deletedField === 'true' || op === 'd',
    row: rowWithoutFields as Row,
  };
}

function stripFields(row: UntypedRow, prefix: string): UntypedRow {
  return Object.fromEntries(Object.entries(row).filter(([name]) => !name.startsWith(prefix)));
}

/**
 * The CDC decode benchmark's inputs: the committed Debezium fixtures (captured from the real
 * connector, packages/cdc/test/fixtures) as Kafka records, replicated to the size of a run.
 */
import { readFileSync } from 'node:fs';
import { column, defineTable, type KafkaRecordLike, type Table } from '@trackops/cdc';

interface FixtureRecord {
  topic: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** A kafkajs-like record: key and value as bytes, as a consumer receives them. */
export interface BenchRecord extends KafkaRecordLike {
  readonly topic: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer>;
}

/** One workload: the distinct records of some fixtures, and how each is decoded. */
export interface Workload {
  readonly name: string;
  readonly description: string;
  /** The distinct records; the run cycles through them. */
  readonly records: readonly BenchRecord[];
  /** Decoded with this table (typed rows), or untyped with `decodeRecord`. */
  readonly table?: Table<unknown, unknown>;
}

function load(file: string): FixtureRecord[] {
  const url = new URL(`../../packages/cdc/test/fixtures/${file}.json`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { records: FixtureRecord[] }).records;
}

function asBytes(record: FixtureRecord): BenchRecord {
  return {
    topic: record.topic,
    key: record.key === null ? null : Buffer.from(record.key),
    value: record.value === null ? null : Buffer.from(record.value),
    headers: Object.fromEntries(
      Object.entries(record.headers).map(([name, text]) => [name, Buffer.from(text)]),
    ),
  };
}

// The wide_types table of the fixtures, declared as its test declares it (precise modes).
const wideTypes = defineTable({
  table: 'wide_types',
  key: ['id'],
  columns: {
    id: column.int32(),
    c_smallint: column.int16().nullable(),
    c_integer: column.int32().nullable(),
    c_bigint: column.int64().nullable(),
    c_numeric_12_4: column.decimal({ scale: 4 }).nullable(),
    c_numeric: column.variableScaleDecimal().nullable(),
    c_real: column.float32().nullable(),
    c_double: column.float64().nullable(),
    c_boolean: column.boolean().nullable(),
    c_text: column.string().nullable(),
    c_varchar_20: column.string().nullable(),
    c_char_5: column.string().nullable(),
    c_bytea: column.bytes().nullable(),
    c_uuid: column.uuid().nullable(),
    c_json: column.json().nullable(),
    c_jsonb: column.json().nullable(),
    c_date: column.date().nullable(),
    c_time: column.microTime().nullable(),
    c_timetz: column.zonedTime().nullable(),
    c_timestamp: column.microTimestamp().nullable(),
    c_timestamptz: column.zonedTimestamp().nullable(),
    c_interval: column.microDuration().nullable(),
    c_text_array: column.array(column.string().nullable()).nullable(),
    c_integer_array: column.array(column.int32().nullable()).nullable(),
    c_enum: column.enumOf(['created', 'in_transit', 'delivered']).nullable(),
    c_toast: column.toastable(column.string()).nullable(),
  },
});

const changeTopics = (records: FixtureRecord[], suffix: string) =>
  records.filter((record) => record.topic.endsWith(suffix)).map(asBytes);

/** The workloads of a run, each from the fixtures that `decodeRecord` reads. */
export function workloads(): Workload[] {
  const mixFiles = [
    'wide-types.schemas-false',
    'wide-types.schemas-true',
    'operations.schemas-false',
    'operations.schemas-true',
    'replica-identity-default',
    'replica-identity-full',
    'unwrap-default',
    'unwrap-rewrite',
    'transaction-metadata',
    'heartbeat',
  ];
  return [
    {
      name: 'mix',
      description: `every record of ${mixFiles.length} fixtures (all ops, tombstones, heartbeats, transactions, unwrap), untyped`,
      records: mixFiles.flatMap((file) => load(file).map(asBytes)),
    },
    {
      name: 'schemas-false',
      description: 'change events of wide_types and parcels, schemas.enable=false, untyped',
      records: [
        ...changeTopics(load('wide-types.schemas-false'), '.public.wide_types'),
        ...changeTopics(load('operations.schemas-false'), '.public.parcels'),
      ],
    },
    {
      name: 'schemas-true',
      description:
        'the same events with schemas.enable=true (schema converted: logical types decoded)',
      records: [
        ...changeTopics(load('wide-types.schemas-true'), '.public.wide_types'),
        ...changeTopics(load('operations.schemas-true'), '.public.parcels'),
      ],
    },
    {
      name: 'typed',
      description: 'wide_types change events, schemas.enable=false, decoded with a typed table',
      records: changeTopics(load('wide-types.schemas-false'), '.public.wide_types'),
      table: wideTypes,
    },
  ];
}

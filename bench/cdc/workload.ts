/**
 * The CDC decode benchmark's inputs: the committed Debezium fixtures (captured from the real
 * connector, packages/cdc/test/fixtures) as Kafka records, replicated to the size of a run.
 */
import { readFileSync } from 'node:fs';
import type { KafkaRecordLike, Table } from '@trackops/cdc';
import { wideTypesTable as wideTypes } from '../../packages/cdc/test/unit/support/wideTypes.js';

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

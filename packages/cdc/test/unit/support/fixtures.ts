/** Reads the captured Debezium fixtures (see test/fixtures/README.md); nothing else. */
import { readFileSync } from 'node:fs';

export interface FixtureRecord {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

export interface Written {
  sql: number;
  op: 'insert' | 'update' | 'delete' | 'truncate' | 'message';
  table?: string;
  key?: Record<string, unknown>;
  values?: Record<string, unknown>;
  transactional?: boolean;
  prefix?: string;
  content?: string;
}

export interface Fixture {
  case: string;
  description: string;
  connector: Record<string, string>;
  sql: string[];
  written: Written[];
  database?: {
    toastTable?: { name: string; chunks: number };
    stored?: Array<Record<string, string | null>>;
  };
  records: FixtureRecord[];
}

/** The fixtures folder, for files other than the cases (versions.json, README.md). */
export const fixturesDir = new URL('../../fixtures/', import.meta.url);

export const fixtureFiles = [
  'wide-types.schemas-false',
  'wide-types.schemas-true',
  'wide-types.string-modes',
  'operations.schemas-false',
  'operations.schemas-true',
  'replica-identity-default',
  'replica-identity-full',
  'unwrap-default',
  'unwrap-rewrite',
  'transaction-metadata',
  'heartbeat',
  'outbox-default',
  'outbox-expanded',
] as const;

export type FixtureFile = (typeof fixtureFiles)[number];

export function load(file: FixtureFile): Fixture {
  return JSON.parse(readFileSync(new URL(`${file}.json`, fixturesDir), 'utf8')) as Fixture;
}

export function onTopic(fixture: Fixture, suffix: string): FixtureRecord[] {
  return fixture.records.filter((record) => record.topic.endsWith(suffix));
}

export function writtenInsert(fixture: Fixture, id: number): Record<string, unknown> {
  const found = fixture.written.find(
    (entry) => entry.op === 'insert' && entry.values?.['id'] === id,
  );
  if (found?.values === undefined) throw new Error(`no written insert of id ${id}`);
  return found.values;
}

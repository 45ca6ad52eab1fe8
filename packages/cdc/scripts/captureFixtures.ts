/**
 * Captures what the real Debezium PostgreSQL connector emits, verbatim, as JSON fixtures for
 * the decoder tests (packages/cdc/test/fixtures, described in its README.md).
 *
 *   npm run stack -- up
 *   pnpm --filter @trackops/cdc capture-fixtures [case-name ...]
 *
 * Every case gets a database, connector, replication slot, publication and topic prefix of
 * its own; each runs its SQL on one session, waits (with a deadline) for the records it
 * expects, keeps listening a little longer so that records nobody expected are captured too,
 * then deletes its connector, database and topics. Files are written only once every selected
 * case has succeeded, so a failed run never leaves a mixed set behind.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { check } from '@trackops/stack';
import {
  createTestDatabase,
  createTopics,
  debeziumTestConfig,
  deleteConnector,
  headersAsText,
  putConnector,
  testKafka,
  uniqueName,
  type ConnectorConfig,
  type ReceivedRecord,
  type StackEndpoints,
  type TestDatabase,
} from '@trackops/testkit/helpers';

const fixturesDir = fileURLToPath(new URL('../test/fixtures/', import.meta.url));

/** How long a case may wait for the records it expects. */
const EXPECT_TIMEOUT_MS = 60_000;
/** How long to keep listening after the expected records arrived, for unexpected extras. */
const SETTLE_MS = 2_000;
/** How long the whole capture may take before it gives up. */
const OVERALL_TIMEOUT_MS = 15 * 60_000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Kafka = ReturnType<typeof testKafka>;

const JSON_CONVERTER = 'org.apache.kafka.connect.json.JsonConverter';

/** JsonConverter for key and value, with `schemas.enable` as given. */
function jsonConverters(schemas: boolean): ConnectorConfig {
  return {
    'key.converter': JSON_CONVERTER,
    'key.converter.schemas.enable': String(schemas),
    'value.converter': JSON_CONVERTER,
    'value.converter.schemas.enable': String(schemas),
  };
}

// ---------------------------------------------------------------------------------------------
// SQL values: every value written is kept as JSON (in the fixture's `written`) and rendered as
// an SQL literal from that same JSON, so the two cannot drift apart.
// ---------------------------------------------------------------------------------------------

/** A value computed by PostgreSQL from `sql`, known in advance to equal `value`. */
interface Computed {
  computed: string;
  value: string;
}

type SqlValue = Json | Computed;

function isComputed(value: SqlValue): value is Computed {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && 'computed' in value
  );
}

function quote(text: string): string {
  // standard_conforming_strings is on (the default since 9.1): only quotes need doubling.
  return `'${text.replaceAll("'", "''")}'`;
}

/** `value` as an SQL literal of type `type`. */
function literal(type: string, value: SqlValue): string {
  if (value === null) return 'null';
  if (isComputed(value)) return value.computed;
  if (Array.isArray(value)) {
    if (value.length === 0) return `'{}'::${type}`;
    const element = type.replace(/\[\]$/, '');
    return `array[${value.map((item) => literal(element, item)).join(', ')}]::${type}`;
  }
  if (typeof value === 'object') return `${quote(JSON.stringify(value))}::${type}`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `${quote(value)}::${type}`;
}

function plain(value: SqlValue): Json {
  return isComputed(value) ? value.value : value;
}

function plainRow(row: Record<string, SqlValue>): Record<string, Json> {
  return Object.fromEntries(Object.entries(row).map(([name, value]) => [name, plain(value)]));
}

/**
 * Deterministic, incompressible text of `chunks` × 44 characters: the base64 SHA-256 of
 * `trackops-<seed>-<i>`. Computed the same way by PostgreSQL (for the SQL, which stays short)
 * and here (for `written`); the capture checks that the two agree.
 */
function pseudoRandomText(seed: string, chunks: number): Computed {
  let value = '';
  for (let index = 1; index <= chunks; index++) {
    value += createHash('sha256').update(`trackops-${seed}-${index}`).digest('base64');
  }
  return {
    computed: `(select string_agg(encode(sha256(convert_to('trackops-${seed}-' || i, 'UTF8')), 'base64'), '' order by i) from generate_series(1, ${chunks}) as i)`,
    value,
  };
}

/** What one SQL statement wrote, as recorded in a fixture's `written`. */
type Written =
  | { sql: number; op: 'insert'; table: string; values: Record<string, Json> }
  | {
      sql: number;
      op: 'update';
      table: string;
      key: Record<string, Json>;
      values: Record<string, Json>;
    }
  | { sql: number; op: 'delete'; table: string; key: Record<string, Json> }
  | { sql: number; op: 'truncate'; table: string }
  | { sql: number; op: 'message'; transactional: boolean; prefix: string; content: string };

/** `Omit` applied to each member of a union (plain `Omit` would merge the members). */
type OmitEach<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A {@link Written} before it knows its statement's index. */
type WriteWithoutIndex = OmitEach<Written, 'sql'>;

/** One statement of a case: its text and, if it changes data, what it writes. */
interface Statement {
  text: string;
  writes?: WriteWithoutIndex;
}

type ColumnTypes = Record<string, string>;

function insert(table: string, types: ColumnTypes, row: Record<string, SqlValue>): Statement {
  const names = Object.keys(row);
  const values = names.map((name) => {
    const type = types[name];
    if (!type) throw new Error(`no type for ${table}.${name}`);
    return literal(type, row[name] ?? null);
  });
  return {
    text: `insert into ${table} (${names.join(', ')}) values (${values.join(', ')})`,
    writes: { op: 'insert', table, values: plainRow(row) },
  };
}

function where(types: ColumnTypes, key: Record<string, Json>): string {
  return Object.entries(key)
    .map(([name, value]) => `${name} = ${literal(types[name] ?? 'text', value)}`)
    .join(' and ');
}

function update(
  table: string,
  types: ColumnTypes,
  key: Record<string, Json>,
  values: Record<string, Json>,
): Statement {
  const sets = Object.entries(values)
    .map(([name, value]) => `${name} = ${literal(types[name] ?? 'text', value)}`)
    .join(', ');
  return {
    text: `update ${table} set ${sets} where ${where(types, key)}`,
    writes: { op: 'update', table, key, values },
  };
}

function remove(table: string, types: ColumnTypes, key: Record<string, Json>): Statement {
  return {
    text: `delete from ${table} where ${where(types, key)}`,
    writes: { op: 'delete', table, key },
  };
}

function emitMessage(transactional: boolean, prefix: string, content: string): Statement {
  return {
    text: `select pg_logical_emit_message(${transactional}, ${quote(prefix)}, ${quote(content)})`,
    writes: { op: 'message', transactional, prefix, content },
  };
}

const sql = (text: string): Statement => ({ text });

// ---------------------------------------------------------------------------------------------
// Records and expectations
// ---------------------------------------------------------------------------------------------

/** A received record with its key and value parsed (the JsonConverter `payload` if enveloped). */
interface Parsed {
  record: ReceivedRecord;
  key: unknown;
  value: unknown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON of a key or value; with `schemas.enable=true` its `payload`. */
function payloadOf(text: string | null): unknown {
  if (text === null) return null;
  const parsed: unknown = JSON.parse(text);
  if (isObject(parsed) && 'schema' in parsed && 'payload' in parsed) return parsed['payload'];
  return parsed;
}

function field(value: unknown, name: string): unknown {
  return isObject(value) ? value[name] : undefined;
}

/** Something a case waits for: `count` records on `topic` that `match`. */
interface Expectation {
  what: string;
  topic: string;
  count?: number;
  match: (record: Parsed) => boolean;
}

/** A change event (envelope form) with `op` for the row whose key `id` is `id`. */
function change(what: string, topic: string, op: string, id: number): Expectation {
  return {
    what,
    topic,
    match: ({ key, value }) => field(value, 'op') === op && field(key, 'id') === id,
  };
}

function tombstone(what: string, topic: string, id: number): Expectation {
  return {
    what,
    topic,
    match: ({ key, record }) => record.value === null && field(key, 'id') === id,
  };
}

function unmet(expectations: readonly Expectation[], parsed: readonly Parsed[]): Expectation[] {
  return expectations.filter(
    (expectation) =>
      parsed.filter((item) => item.record.topic === expectation.topic && expectation.match(item))
        .length < (expectation.count ?? 1),
  );
}

function describeRecord(item: Parsed): string {
  const op =
    item.record.value === null
      ? 'tombstone'
      : item.value === null
        ? 'json-null'
        : JSON.stringify(
            field(item.value, 'op') ??
              field(item.value, '__op') ??
              field(item.value, 'status') ??
              '?',
          );
  return `${item.record.topic}@${item.record.offset} op=${op} key=${item.record.key ?? 'null'} value=${(item.record.value ?? 'null').slice(0, 300)}`;
}

/** Consumes `topics` from their beginning with a group of its own, keeping every record. */
async function startCollector(
  kafka: Kafka,
  topics: readonly string[],
): Promise<{ parsed: Parsed[]; stop(): Promise<void> }> {
  // A connector's topics do not exist before its first record; kafkajs cannot subscribe to
  // a missing topic, so they are created as the broker's auto-creation would (1 partition).
  await createTopics(kafka, topics);
  const consumer = kafka.consumer({ groupId: uniqueName('fixtures'), maxWaitTimeInMs: 100 });
  const parsed: Parsed[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      eachMessage: ({ topic, partition, message }) => {
        const record: ReceivedRecord = {
          topic,
          partition,
          offset: message.offset,
          timestamp: message.timestamp,
          key: message.key ? message.key.toString('utf8') : null,
          value: message.value ? message.value.toString('utf8') : null,
          headers: headersAsText(message.headers),
        };
        parsed.push({ record, key: payloadOf(record.key), value: payloadOf(record.value) });
        return Promise.resolve();
      },
    });
  } catch (error) {
    await consumer.disconnect();
    throw error;
  }
  return { parsed, stop: () => consumer.disconnect() };
}

/** Waits until every expectation holds, then `settleMs` more; throws naming what is missing. */
async function waitFor(
  caseName: string,
  phase: string,
  parsed: readonly Parsed[],
  expectations: readonly Expectation[],
  settleMs: number,
): Promise<void> {
  const deadline = Date.now() + EXPECT_TIMEOUT_MS;
  for (;;) {
    const missing = unmet(expectations, parsed);
    if (missing.length === 0) break;
    if (Date.now() > deadline) {
      throw new Error(
        `${caseName} (${phase}): after ${EXPECT_TIMEOUT_MS} ms still missing:\n  - ${missing
          .map((expectation) => `${expectation.what} (on ${expectation.topic})`)
          .join(
            '\n  - ',
          )}\nreceived ${parsed.length} record(s):\n  ${parsed.map(describeRecord).join('\n  ')}`,
      );
    }
    await sleep(100);
  }
  await sleep(settleMs);
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL helpers
// ---------------------------------------------------------------------------------------------

/** Waits until the connector streams from its slot (the slot is active). */
async function waitForActiveSlot(db: TestDatabase, slot: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { rows } = await db.pool.query<{ active: boolean }>(
      'select active from pg_replication_slots where slot_name = $1',
      [slot],
    );
    if (rows[0]?.active) return;
    if (Date.now() > deadline)
      throw new Error(
        `replication slot ${slot} ${rows[0] ? 'exists but is not active' : 'was not created'} after 60 s`,
      );
    await sleep(200);
  }
}

/**
 * After the connector is deleted its walsender may still hold the slot for a moment, and a
 * database with an active slot cannot be dropped: waits, then terminates the walsender.
 */
async function releaseSlot(db: TestDatabase, slot: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { rows } = await db.pool.query<{ active_pid: number | null }>(
      'select active_pid from pg_replication_slots where slot_name = $1',
      [slot],
    );
    const pid = rows[0]?.active_pid;
    if (pid === undefined || pid === null) return;
    if (Date.now() > deadline) {
      await db.pool.query('select pg_terminate_backend($1)', [pid]);
      await sleep(500);
      return;
    }
    await sleep(200);
  }
}

// ---------------------------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------------------------

/** What a case knows about its own run. */
interface CaseContext {
  /** Topic prefix, also the database, connector, slot and publication name. */
  prefix: string;
  /** A name unique to this run, for things outside the prefix (outbox routing topics). */
  unique: string;
}

interface CaptureCase {
  /** Fixture file name without `.json`. */
  file: string;
  /** The case named in the fixture (several files may share one, in different forms). */
  case: string;
  description: string;
  /** Statements run before the connector starts (schema, rows for the snapshot). */
  setup: (ctx: CaseContext) => Statement[];
  /** Connector settings on top of {@link debeziumTestConfig}. */
  connector: (ctx: CaseContext) => ConnectorConfig;
  /** `schema.table` names the connector captures. */
  tables: string[];
  /** Topics to read; by default the tables' topics. */
  topics?: (ctx: CaseContext) => string[];
  /** Records the snapshot must have produced before the statements run. */
  snapshot?: (ctx: CaseContext) => Expectation[];
  /** Statements run once the connector streams. */
  statements: (ctx: CaseContext) => Statement[];
  /** Records the statements must produce. */
  expect: (ctx: CaseContext) => Expectation[];
  /** Keeps only some records (heartbeats never stop coming). */
  keep?: (records: Parsed[]) => Parsed[];
  /** Extra checks on the database, run after the statements (e.g. that a value is TOASTed). */
  verify?: (db: TestDatabase) => Promise<Record<string, Json>>;
}

const tableTopic = (ctx: CaseContext, table: string): string => `${ctx.prefix}.public.${table}`;

// --- Wide column types --------------------------------------------------------------------------

const wideTypes: ColumnTypes = {
  id: 'integer',
  c_smallint: 'smallint',
  c_integer: 'integer',
  c_bigint: 'bigint',
  c_numeric_12_4: 'numeric(12,4)',
  c_numeric: 'numeric',
  c_real: 'real',
  c_double: 'double precision',
  c_boolean: 'boolean',
  c_text: 'text',
  c_varchar_20: 'varchar(20)',
  c_char_5: 'char(5)',
  c_bytea: 'bytea',
  c_uuid: 'uuid',
  c_json: 'json',
  c_jsonb: 'jsonb',
  c_date: 'date',
  c_time: 'time',
  c_timetz: 'timetz',
  c_timestamp: 'timestamp',
  c_timestamptz: 'timestamptz',
  c_interval: 'interval',
  c_text_array: 'text[]',
  c_integer_array: 'integer[]',
  c_enum: 'parcel_status',
  c_toast: 'text',
};

const wideTypesDdl = [
  `create type parcel_status as enum ('created', 'in_transit', 'delivered')`,
  `create table wide_types (${Object.entries(wideTypes)
    .map(([name, type]) => `${name} ${type}${name === 'id' ? ' primary key' : ''}`)
    .join(', ')})`,
  // Out of line and uncompressed: the value lives in the TOAST table whatever its content.
  'alter table wide_types alter column c_toast set storage external',
];

/** The TOAST value: 200 × 44 = 8,800 characters, stored out of line. */
const toastValue = pseudoRandomText('toast', 200);

/** Ordinary values at the edges: negative, high-precision, microseconds, offsets, unicode. */
const edgeRow = (id: number, toast: SqlValue): Record<string, SqlValue> => ({
  id,
  c_smallint: -32768,
  c_integer: -2147483648,
  c_bigint: '-9223372036854775808',
  c_numeric_12_4: '-12345678.9012',
  c_numeric: '12345678901234567890.123456789',
  c_real: 3.14,
  c_double: -2.718281828459045,
  c_boolean: true,
  c_text: "Grüße aus Köln — 東京 🚚 “quoted” it's \\ backslash",
  c_varchar_20: 'varchar ✓',
  c_char_5: 'ab',
  c_bytea: '\\x00ff10807f',
  c_uuid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  c_json: '{"b": 1,  "a": [true, null], "a": "dup"}',
  c_jsonb: '{"b": 1,  "a": [true, null], "nested": {"ü": 1.50}}',
  c_date: '2024-02-29',
  c_time: '23:59:59.999999',
  c_timetz: '10:15:30.123456+05:30',
  c_timestamp: '2024-02-29 23:59:59.123456',
  c_timestamptz: '2024-02-29 23:59:59.123456+05:30',
  c_interval: '1 year 2 months 3 days 04:05:06.789012',
  c_text_array: ['a', 'b c', 'ü', null, 'with "quote"'],
  c_integer_array: [1, -2, 3],
  c_enum: 'in_transit',
  c_toast: toast,
});

/** Special values: NaN, infinities, pre-epoch dates, negative intervals, maxima. */
const specialRow = (id: number): Record<string, SqlValue> => ({
  id,
  c_smallint: 32767,
  c_integer: 2147483647,
  c_bigint: '9223372036854775807',
  c_numeric_12_4: '0.0001',
  c_numeric: 'NaN',
  c_real: 'Infinity',
  c_double: 'NaN',
  c_boolean: false,
  c_text: '',
  c_varchar_20: '',
  c_char_5: 'abcde',
  c_bytea: '\\x',
  c_uuid: '00000000-0000-0000-0000-000000000000',
  c_json: 'null',
  c_jsonb: '[]',
  c_date: '1969-12-31',
  c_time: '00:00:00',
  c_timetz: '00:00:00-08:00',
  c_timestamp: '1900-01-01 00:00:00.000001',
  c_timestamptz: 'infinity',
  c_interval: '-1 days +02:03:04.5',
  c_text_array: [],
  c_integer_array: null,
  c_enum: 'created',
  c_toast: 'short, stored inline',
});

/** Every column NULL but the key; the arrays empty. */
const nullRow = (id: number): Record<string, SqlValue> => ({
  ...Object.fromEntries(Object.keys(wideTypes).map((name) => [name, null])),
  id,
  c_text_array: [],
  c_integer_array: [],
});

function wideTypesCase(file: string, description: string, overrides: ConnectorConfig): CaptureCase {
  const topic = (ctx: CaseContext) => tableTopic(ctx, 'wide_types');
  return {
    file,
    case: 'wide-types',
    description,
    tables: ['public.wide_types'],
    setup: () => [
      ...wideTypesDdl.map(sql),
      insert('wide_types', wideTypes, edgeRow(1, null)),
      insert('wide_types', wideTypes, specialRow(3)),
    ],
    connector: () => ({ 'snapshot.mode': 'initial', ...overrides }),
    snapshot: (ctx) => [
      change('snapshot read of row 1 (edge values)', topic(ctx), 'r', 1),
      change('snapshot read of row 3 (special values)', topic(ctx), 'r', 3),
    ],
    statements: () => [
      insert('wide_types', wideTypes, edgeRow(11, toastValue)),
      insert('wide_types', wideTypes, nullRow(12)),
      insert('wide_types', wideTypes, specialRow(13)),
      update(
        'wide_types',
        wideTypes,
        { id: 11 },
        { c_integer: 42, c_text: 'updated; TOAST column untouched' },
      ),
      remove('wide_types', wideTypes, { id: 12 }),
    ],
    expect: (ctx) => [
      change('insert of row 11 (edge values and the TOAST value)', topic(ctx), 'c', 11),
      change('insert of row 12 (NULLs, empty arrays)', topic(ctx), 'c', 12),
      change('insert of row 13 (special values)', topic(ctx), 'c', 13),
      {
        what: 'update of row 11 with the TOAST placeholder',
        topic: topic(ctx),
        match: ({ key, value, record }) =>
          field(value, 'op') === 'u' &&
          field(key, 'id') === 11 &&
          (record.value ?? '').includes('__debezium_unavailable_value'),
      },
      change('delete of row 12', topic(ctx), 'd', 12),
      tombstone('tombstone of row 12', topic(ctx), 12),
    ],
    verify: async (db) => {
      // The update's placeholder only shows if the value really lives in the TOAST table.
      const { rows } = await db.pool.query<{ toast: string; matches: boolean }>(
        `select c.reltoastrelid::regclass::text as toast,
                (select c_toast = $1 from wide_types where id = 11) as matches
           from pg_class c where c.oid = 'wide_types'::regclass`,
        [toastValue.value],
      );
      const row = rows[0];
      if (!row?.matches)
        throw new Error('PostgreSQL computed a different TOAST value than captureFixtures.ts');
      const toastTable = row.toast;
      const { rows: toastRows } = await db.pool.query<{ n: string }>(
        `select count(*) as n from ${toastTable}`,
      );
      const chunkCount = Number(toastRows[0]?.n ?? 0);
      if (chunkCount === 0)
        throw new Error(`the TOAST value of wide_types.c_toast is not stored out of line`);
      const stored = await db.pool.query<Record<string, string | null>>(
        `select ${Object.keys(wideTypes)
          .map((name) =>
            name === 'c_toast'
              ? 'octet_length(c_toast)::text as c_toast_octets, md5(c_toast) as c_toast_md5'
              : `${name}::text`,
          )
          .join(', ')} from wide_types order by id`,
      );
      return {
        toastTable: { name: toastTable.replace(/\d+/, '<oid>'), chunks: chunkCount },
        stored: stored.rows.map((storedRow) => ({ ...storedRow })),
      };
    },
  };
}

// --- Operations ---------------------------------------------------------------------------------

const parcels: ColumnTypes = { id: 'integer', label: 'text', weight: 'numeric(8,2)' };
const parcelsDdl =
  'create table parcels (id integer primary key, label text not null, weight numeric(8,2))';

function operationsCase(file: string, schemas: boolean): CaptureCase {
  const topic = (ctx: CaseContext) => tableTopic(ctx, 'parcels');
  const messages = (ctx: CaseContext) => `${ctx.prefix}.message`;
  return {
    file,
    case: 'operations',
    description: `Every op of a PostgreSQL table and logical decoding messages: snapshot reads (r), insert (c), update (u), update of the primary key (delete + tombstone + create with __debezium.oldkey/newkey headers), delete (d) with its tombstone, pg_logical_emit_message transactional and not (m, on <prefix>.message) and truncate (t, needs skipped.operations=none). REPLICA IDENTITY DEFAULT; JsonConverter with schemas.enable=${schemas}.`,
    tables: ['public.parcels'],
    topics: (ctx) => [topic(ctx), messages(ctx)],
    setup: () => [
      sql(parcelsDdl),
      insert('parcels', parcels, { id: 1, label: 'snapshot one', weight: '1.50' }),
      insert('parcels', parcels, { id: 2, label: 'snapshot two', weight: '2.25' }),
    ],
    connector: () => ({
      'snapshot.mode': 'initial',
      // Debezium skips truncate events unless told otherwise.
      'skipped.operations': 'none',
      ...jsonConverters(schemas),
    }),
    snapshot: (ctx) => [
      change('snapshot read of parcel 1', topic(ctx), 'r', 1),
      change('snapshot read of parcel 2', topic(ctx), 'r', 2),
    ],
    statements: () => [
      insert('parcels', parcels, { id: 3, label: 'inserted', weight: '3.00' }),
      update('parcels', parcels, { id: 3 }, { label: 'updated', weight: '3.75' }),
      update('parcels', parcels, { id: 2 }, { id: 20 }),
      remove('parcels', parcels, { id: 1 }),
      sql('begin'),
      insert('parcels', parcels, { id: 4, label: 'with a message', weight: null }),
      emitMessage(true, 'trackops', '{"kind":"transactional","text":"Grüße"}'),
      sql('commit'),
      emitMessage(false, 'trackops', 'non-transactional ✓'),
      { text: 'truncate parcels', writes: { op: 'truncate', table: 'parcels' } },
    ],
    expect: (ctx) => [
      change('insert of parcel 3', topic(ctx), 'c', 3),
      change('update of parcel 3', topic(ctx), 'u', 3),
      {
        what: 'delete of parcel 2 by its key update, with the __debezium.newkey header',
        topic: topic(ctx),
        match: ({ key, value, record }) =>
          field(value, 'op') === 'd' &&
          field(key, 'id') === 2 &&
          '__debezium.newkey' in record.headers,
      },
      tombstone('tombstone of parcel 2 after its key update', topic(ctx), 2),
      {
        what: 'create of parcel 20 by its key update, with the __debezium.oldkey header',
        topic: topic(ctx),
        match: ({ key, value, record }) =>
          field(value, 'op') === 'c' &&
          field(key, 'id') === 20 &&
          '__debezium.oldkey' in record.headers,
      },
      change('delete of parcel 1', topic(ctx), 'd', 1),
      tombstone('tombstone of parcel 1', topic(ctx), 1),
      change('insert of parcel 4', topic(ctx), 'c', 4),
      {
        what: 'the transactional and the non-transactional message',
        topic: messages(ctx),
        count: 2,
        match: ({ value }) => field(value, 'op') === 'm',
      },
      {
        what: 'the truncate',
        topic: topic(ctx),
        match: ({ value }) => field(value, 'op') === 't',
      },
    ],
  };
}

// --- Replica identity ---------------------------------------------------------------------------

const riTypes: ColumnTypes = { id: 'integer', label: 'text', qty: 'integer', notes: 'text' };
const riNotes = pseudoRandomText('notes', 70);

function replicaIdentityCase(identity: 'default' | 'full'): CaptureCase {
  const table = `ri_${identity}`;
  const topic = (ctx: CaseContext) => tableTopic(ctx, table);
  return {
    file: `replica-identity-${identity}`,
    case: `replica-identity-${identity}`,
    description: `Update and delete of a table with REPLICA IDENTITY ${identity.toUpperCase()}, to show what \`before\` holds. The rows exist before the connector starts (snapshot.mode=no_data, so no inserts are captured); \`notes\` holds a ${riNotes.value.length}-character TOAST value (SET STORAGE EXTERNAL) that the update leaves unchanged. JsonConverter, schemas.enable=false.`,
    tables: [`public.${table}`],
    setup: () => [
      sql(
        `create table ${table} (id integer primary key, label text not null, qty integer, notes text)`,
      ),
      sql(`alter table ${table} alter column notes set storage external`),
      sql(`alter table ${table} replica identity ${identity}`),
      insert(table, riTypes, { id: 1, label: 'first', qty: 10, notes: riNotes }),
      insert(table, riTypes, { id: 2, label: 'second', qty: 20, notes: 'short notes' }),
    ],
    connector: () => ({ 'snapshot.mode': 'no_data', ...jsonConverters(false) }),
    statements: () => [
      update(table, riTypes, { id: 1 }, { label: 'first, updated', qty: 11 }),
      update(table, riTypes, { id: 2 }, { qty: 21 }),
      remove(table, riTypes, { id: 1 }),
    ],
    expect: (ctx) => [
      change('update of row 1 (TOAST notes unchanged)', topic(ctx), 'u', 1),
      change('update of row 2', topic(ctx), 'u', 2),
      change('delete of row 1', topic(ctx), 'd', 1),
      tombstone('tombstone of row 1', topic(ctx), 1),
    ],
  };
}

// --- ExtractNewRecordState ----------------------------------------------------------------------

function unwrapCase(mode: 'default' | 'rewrite'): CaptureCase {
  const topic = (ctx: CaseContext) => tableTopic(ctx, 'parcels');
  const unwrapOp =
    (what: string, op: string, id: number) =>
    (ctx: CaseContext): Expectation => ({
      what,
      topic: topic(ctx),
      match: ({ key, value }) => field(value, '__op') === op && field(key, 'id') === id,
    });
  return {
    file: `unwrap-${mode}`,
    case: `unwrap-${mode}`,
    description: `The ExtractNewRecordState (unwrap) SMT with add.fields=op,table,lsn,source.ts_ms and delete.tombstone.handling.mode ${mode === 'default' ? 'left at its default' : '=rewrite'}: insert, update, update of the primary key and delete. JsonConverter, schemas.enable=false.`,
    tables: ['public.parcels'],
    setup: () => [sql(parcelsDdl)],
    connector: () => ({
      'snapshot.mode': 'no_data',
      ...jsonConverters(false),
      transforms: 'unwrap',
      'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
      'transforms.unwrap.add.fields': 'op,table,lsn,source.ts_ms',
      ...(mode === 'rewrite'
        ? { 'transforms.unwrap.delete.tombstone.handling.mode': 'rewrite' }
        : {}),
    }),
    statements: () => [
      insert('parcels', parcels, { id: 1, label: 'inserted', weight: '1.00' }),
      insert('parcels', parcels, { id: 2, label: 'inserted too', weight: '2.00' }),
      update('parcels', parcels, { id: 1 }, { label: 'updated', weight: '1.25' }),
      update('parcels', parcels, { id: 2 }, { id: 30 }),
      remove('parcels', parcels, { id: 1 }),
    ],
    expect: (ctx) => [
      unwrapOp('insert of parcel 1', 'c', 1)(ctx),
      unwrapOp('update of parcel 1', 'u', 1)(ctx),
      unwrapOp('create of parcel 30 by its key update', 'c', 30)(ctx),
      mode === 'default'
        ? {
            // The SMT turns the delete into a record with a null value but keeps its value
            // schema, so JsonConverter writes the text `null`: not a Kafka tombstone.
            what: 'the delete of parcel 1, its value null (the text `null` or a tombstone)',
            topic: topic(ctx),
            match: ({ key, value }) => value === null && field(key, 'id') === 1,
          }
        : unwrapOp('delete of parcel 1 rewritten with __deleted', 'd', 1)(ctx),
    ],
  };
}

// --- Transaction metadata -----------------------------------------------------------------------

const events: ColumnTypes = { id: 'integer', parcel_id: 'integer', kind: 'text' };

const transactionCase: CaptureCase = {
  file: 'transaction-metadata',
  case: 'transaction-metadata',
  description:
    'provide.transaction.metadata=true: BEGIN and END records on <prefix>.transaction and the `transaction` block of each change event. A transaction of three changes over two tables, then one of a single change. JsonConverter, schemas.enable=false.',
  tables: ['public.parcels', 'public.parcel_events'],
  topics: (ctx) => [
    tableTopic(ctx, 'parcels'),
    tableTopic(ctx, 'parcel_events'),
    `${ctx.prefix}.transaction`,
  ],
  setup: () => [
    sql(parcelsDdl),
    sql(
      'create table parcel_events (id integer primary key, parcel_id integer not null, kind text not null)',
    ),
  ],
  connector: () => ({
    'snapshot.mode': 'no_data',
    'provide.transaction.metadata': 'true',
    ...jsonConverters(false),
  }),
  statements: () => [
    sql('begin'),
    insert('parcels', parcels, { id: 1, label: 'first', weight: '1.00' }),
    insert('parcels', parcels, { id: 2, label: 'second', weight: '2.00' }),
    insert('parcel_events', events, { id: 1, parcel_id: 1, kind: 'created' }),
    sql('commit'),
    update('parcels', parcels, { id: 1 }, { label: 'first, updated' }),
  ],
  expect: (ctx) => [
    {
      what: 'two BEGIN records',
      topic: `${ctx.prefix}.transaction`,
      count: 2,
      match: ({ value }) => field(value, 'status') === 'BEGIN',
    },
    {
      what: 'two END records',
      topic: `${ctx.prefix}.transaction`,
      count: 2,
      match: ({ value }) => field(value, 'status') === 'END',
    },
    {
      what: 'change events with a transaction block',
      topic: tableTopic(ctx, 'parcels'),
      count: 3,
      match: ({ value }) => isObject(field(value, 'transaction')),
    },
    change('insert of parcel event 1', tableTopic(ctx, 'parcel_events'), 'c', 1),
  ],
};

// --- Heartbeats ---------------------------------------------------------------------------------

const heartbeatTopic = (ctx: CaseContext) => `__debezium-heartbeat.${ctx.prefix}`;
const HEARTBEATS_KEPT = 3;

const heartbeatCase: CaptureCase = {
  file: 'heartbeat',
  case: 'heartbeat',
  description: `heartbeat.interval.ms=500: records on __debezium-heartbeat.<prefix> (the first ${HEARTBEATS_KEPT} are kept) and one change event. JsonConverter, schemas.enable=false.`,
  tables: ['public.parcels'],
  topics: (ctx) => [tableTopic(ctx, 'parcels'), heartbeatTopic(ctx)],
  setup: () => [sql(parcelsDdl)],
  connector: () => ({
    'snapshot.mode': 'no_data',
    'heartbeat.interval.ms': '500',
    ...jsonConverters(false),
  }),
  statements: () => [
    insert('parcels', parcels, { id: 1, label: 'between heartbeats', weight: '1.00' }),
  ],
  expect: (ctx) => [
    change('insert of parcel 1', tableTopic(ctx, 'parcels'), 'c', 1),
    {
      what: `${HEARTBEATS_KEPT} heartbeats`,
      topic: heartbeatTopic(ctx),
      count: HEARTBEATS_KEPT,
      match: () => true,
    },
  ],
  keep: (records) => {
    let heartbeats = 0;
    return records.filter(
      (item) =>
        !item.record.topic.startsWith('__debezium-heartbeat.') || ++heartbeats <= HEARTBEATS_KEPT,
    );
  },
};

// --- Outbox Event Router ------------------------------------------------------------------------

const outbox: ColumnTypes = {
  id: 'uuid',
  aggregatetype: 'text',
  aggregateid: 'text',
  type: 'text',
  payload: 'jsonb',
};

function outboxCase(variant: 'default' | 'expanded'): CaptureCase {
  const routed = (ctx: CaseContext) => `outbox.event.${ctx.unique}`;
  const expanded = variant === 'expanded';
  return {
    file: `outbox-${variant}`,
    case: `outbox-${variant}`,
    description: expanded
      ? 'io.debezium.transforms.outbox.EventRouter configured as TrackOps will: table.expand.json.payload=true, value (and key) JsonConverter with schemas.enable=false, and table.fields.additional.placement=type:header:type so the event type travels as a header. The aggregate type is unique per capture (it names the topic outbox.event.<aggregatetype>). One event alone; one inserted and deleted in the same transaction (the usual outbox clean-up); one with a NULL payload.'
      : "io.debezium.transforms.outbox.EventRouter with all its defaults and the JsonConverter defaults (schemas.enable=true) on an outbox table with Debezium's default columns. The aggregate type is unique per capture (it names the topic outbox.event.<aggregatetype>). One event alone; one inserted and deleted in the same transaction (the usual outbox clean-up); one with a NULL payload.",
    tables: ['public.outbox'],
    topics: (ctx) => [routed(ctx), tableTopic(ctx, 'outbox')],
    setup: () => [
      sql(
        'create table outbox (id uuid primary key, aggregatetype text not null, aggregateid text not null, type text not null, payload jsonb)',
      ),
    ],
    connector: () => ({
      'snapshot.mode': 'no_data',
      ...jsonConverters(!expanded),
      transforms: 'outbox',
      'transforms.outbox.type': 'io.debezium.transforms.outbox.EventRouter',
      ...(expanded
        ? {
            'transforms.outbox.table.expand.json.payload': 'true',
            'transforms.outbox.table.fields.additional.placement': 'type:header:type',
          }
        : {}),
    }),
    statements: (ctx) => [
      insert('outbox', outbox, {
        id: '3f1f9c52-8d3e-4b47-9a0e-5f6c1d2e7a01',
        aggregatetype: ctx.unique,
        aggregateid: 'parcel-1',
        type: 'ParcelCreated',
        payload: { parcelId: 'parcel-1', weight: 12.5, tags: ['fragile'], label: 'Grüße', id: 7 },
      }),
      sql('begin'),
      insert('outbox', outbox, {
        id: '3f1f9c52-8d3e-4b47-9a0e-5f6c1d2e7a02',
        aggregatetype: ctx.unique,
        aggregateid: 'parcel-2',
        type: 'ParcelDispatched',
        payload: {
          parcelId: 'parcel-2',
          dispatchedAt: '2024-02-29T18:29:59.123456Z',
          carrier: null,
        },
      }),
      remove('outbox', outbox, { id: '3f1f9c52-8d3e-4b47-9a0e-5f6c1d2e7a02' }),
      sql('commit'),
      insert('outbox', outbox, {
        id: '3f1f9c52-8d3e-4b47-9a0e-5f6c1d2e7a03',
        aggregatetype: ctx.unique,
        aggregateid: 'parcel-1',
        type: 'ParcelDeleted',
        payload: null,
      }),
    ],
    expect: (ctx) => [
      {
        what: 'the ParcelCreated event keyed by aggregate id parcel-1',
        topic: routed(ctx),
        match: ({ key, record }) =>
          key === 'parcel-1' && record.value !== null && record.value.includes('parcel-1'),
      },
      {
        what: 'the ParcelDispatched event keyed by aggregate id parcel-2',
        topic: routed(ctx),
        match: ({ key, record }) => key === 'parcel-2' && record.value !== null,
      },
      {
        what: 'the ParcelDeleted event (NULL payload) keyed by aggregate id parcel-1',
        topic: routed(ctx),
        match: ({ key, record }) =>
          key === 'parcel-1' && record.headers['id'] === '3f1f9c52-8d3e-4b47-9a0e-5f6c1d2e7a03',
      },
    ],
  };
}

const cases: CaptureCase[] = [
  wideTypesCase(
    'wide-types.schemas-false',
    'A table of wide column types with edge values (row 1 in the snapshot, row 11 its twin inserted while streaming, plus the TOAST value), special values (NaN, infinity, pre-epoch: row 3 in the snapshot, row 13 streamed), NULLs and empty arrays (row 12), an update of row 11 that leaves the TOASTed column unchanged, and a delete. Debezium defaults for every handling mode; JsonConverter with schemas.enable=false.',
    jsonConverters(false),
  ),
  wideTypesCase(
    'wide-types.schemas-true',
    'As wide-types.schemas-false, with JsonConverter schemas.enable=true for key and value: every record carries its Connect schema (logical type names such as io.debezium.time.MicroTimestamp, io.debezium.data.VariableScaleDecimal, org.apache.kafka.connect.data.Decimal).',
    jsonConverters(true),
  ),
  wideTypesCase(
    'wide-types.string-modes',
    'As wide-types.schemas-false, with decimal.handling.mode=string, interval.handling.mode=string and binary.handling.mode=hex (the modes a JSON consumer is likely to choose).',
    {
      ...jsonConverters(false),
      'decimal.handling.mode': 'string',
      'interval.handling.mode': 'string',
      'binary.handling.mode': 'hex',
    },
  ),
  operationsCase('operations.schemas-false', false),
  operationsCase('operations.schemas-true', true),
  replicaIdentityCase('default'),
  replicaIdentityCase('full'),
  unwrapCase('default'),
  unwrapCase('rewrite'),
  transactionCase,
  heartbeatCase,
  outboxCase('default'),
  outboxCase('expanded'),
];

// ---------------------------------------------------------------------------------------------
// Running a case
// ---------------------------------------------------------------------------------------------

interface Fixture {
  case: string;
  description: string;
  connector: ConnectorConfig;
  sql: string[];
  written: Written[];
  database?: Record<string, Json>;
  records: ReceivedRecord[];
}

/** The connector's configuration without secrets (the stack's user has no password). */
function redact(config: ConnectorConfig): ConnectorConfig {
  const result = { ...config };
  if (result['database.password']) result['database.password'] = '<redacted>';
  return result;
}

async function capture(stack: StackEndpoints, kafka: Kafka, spec: CaptureCase): Promise<Fixture> {
  const db = await createTestDatabase(stack.DATABASE_URL, 'fixture');
  const ctx: CaseContext = { prefix: db.name, unique: uniqueName('parcel') };
  const connectorName = db.name;
  const topics = spec.topics?.(ctx) ?? spec.tables.map((table) => `${ctx.prefix}.${table}`);
  const executed: string[] = [];
  const written: Written[] = [];
  let connectorCreated = false;
  let collector: Awaited<ReturnType<typeof startCollector>> | undefined;
  const session = await db.pool.connect().catch(async (error: unknown) => {
    await db.drop();
    throw error;
  });
  try {
    const run = async (statements: Statement[]) => {
      for (const statement of statements) {
        await session.query(statement.text);
        executed.push(statement.text);
        if (statement.writes) written.push({ sql: executed.length - 1, ...statement.writes });
      }
    };
    // Text renderings (the `stored` values) and timestamptz input without an offset are
    // then independent of the server's time zone.
    await run([sql("set time zone 'UTC'"), ...spec.setup(ctx)]);

    collector = await startCollector(kafka, topics);
    const config = debeziumTestConfig(
      {
        databaseUrl: stack.CONNECT_DATABASE_URL,
        database: db.name,
        topicPrefix: ctx.prefix,
        tables: spec.tables,
      },
      spec.connector(ctx),
    );
    connectorCreated = true;
    await putConnector(stack.CONNECT_URL, connectorName, config);
    if (spec.snapshot)
      await waitFor(spec.file, 'snapshot', collector.parsed, spec.snapshot(ctx), 0);
    await waitForActiveSlot(db, ctx.prefix);

    await run(spec.statements(ctx));
    await waitFor(spec.file, 'streaming', collector.parsed, spec.expect(ctx), SETTLE_MS);
    const database = spec.verify ? await spec.verify(db) : undefined;

    const order = new Map(topics.map((topic, index) => [topic, index]));
    const sorted = [...collector.parsed].sort(
      (a, b) =>
        (order.get(a.record.topic) ?? 0) - (order.get(b.record.topic) ?? 0) ||
        a.record.partition - b.record.partition ||
        Number(BigInt(a.record.offset) - BigInt(b.record.offset)),
    );
    const kept = spec.keep ? spec.keep(sorted) : sorted;
    return {
      case: spec.case,
      description: spec.description,
      connector: redact(config),
      sql: executed,
      written,
      ...(database ? { database } : {}),
      records: kept.map((item) => item.record),
    };
  } finally {
    session.release();
    const cleanup: Array<[string, () => Promise<unknown>]> = [
      ['stop the consumer', async () => collector?.stop()],
      [
        'delete the connector',
        async () => connectorCreated && deleteConnector(stack.CONNECT_URL, connectorName),
      ],
      ['release the slot', () => releaseSlot(db, ctx.prefix)],
      ['drop the database', () => db.drop()],
      [
        'delete the topics',
        async () => {
          const admin = kafka.admin();
          await admin.connect();
          try {
            const existing = new Set(await admin.listTopics());
            const owned = [
              ...topics,
              `${ctx.prefix}.transaction`,
              `${ctx.prefix}.message`,
              `__debezium-heartbeat.${ctx.prefix}`,
            ].filter((topic, index, all) => existing.has(topic) && all.indexOf(topic) === index);
            if (owned.length > 0) await admin.deleteTopics({ topics: owned, timeout: 10_000 });
          } finally {
            await admin.disconnect();
          }
        },
      ],
    ];
    for (const [what, step] of cleanup) {
      try {
        await step();
      } catch (error) {
        console.error(`${spec.file}: could not ${what}: ${(error as Error).message}`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Versions and main
// ---------------------------------------------------------------------------------------------

interface PluginInfo {
  class: string;
  type: string;
  version?: string;
}

async function versions(stack: StackEndpoints, db: TestDatabase): Promise<Record<string, Json>> {
  const get = async (route: string): Promise<unknown> => {
    const response = await fetch(`${stack.CONNECT_URL}${route}`, {
      signal: AbortSignal.timeout(15_000),
    });
    if (!response.ok) throw new Error(`Connect GET ${route} answered ${response.status}`);
    return response.json();
  };
  const root = (await get('/')) as { version: string; commit: string };
  const plugins = (await get('/connector-plugins?connectorsOnly=false')) as PluginInfo[];
  const used = [
    'io.debezium.connector.postgresql.PostgresConnector',
    'io.debezium.transforms.ExtractNewRecordState',
    'io.debezium.transforms.outbox.EventRouter',
    'org.apache.kafka.connect.json.JsonConverter',
  ];
  const pluginVersions = Object.fromEntries(
    used.map((name) => [name, plugins.find((plugin) => plugin.class === name)?.version ?? null]),
  );
  const debezium = pluginVersions['io.debezium.connector.postgresql.PostgresConnector'];
  if (!debezium) throw new Error('Connect does not list the Debezium PostgreSQL connector');
  const { rows } = await db.pool.query<{ server_version: string }>('show server_version');
  return {
    kafka: root.version,
    kafkaConnect: root.version,
    kafkaConnectCommit: root.commit,
    debezium,
    postgresql: rows[0]?.server_version ?? null,
    plugins: pluginVersions,
    capturedAt: new Date().toISOString(),
  };
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(path.join(fixturesDir, file), `${JSON.stringify(value, null, 2)}\n`);
}

async function main(): Promise<void> {
  const selected = process.argv.slice(2).filter((arg) => arg !== '--');
  const unknown = selected.filter((name) => !cases.some((spec) => spec.file === name));
  if (unknown.length > 0)
    throw new Error(
      `unknown case(s) ${unknown.join(', ')}; known: ${cases.map((spec) => spec.file).join(', ')}`,
    );
  const chosen = selected.length > 0 ? cases.filter((spec) => selected.includes(spec.file)) : cases;

  const started = Date.now();
  const stack = await check();
  const kafka = testKafka(stack.KAFKA_BROKERS, 'trackops-fixtures');
  const probe = await createTestDatabase(stack.DATABASE_URL, 'fixture_versions');
  let versionInfo: Record<string, Json>;
  try {
    versionInfo = await versions(stack, probe);
  } finally {
    await probe.drop();
  }

  const results: Array<[string, Fixture]> = [];
  for (const spec of chosen) {
    const caseStarted = Date.now();
    const fixture = await capture(stack, kafka, spec);
    results.push([spec.file, fixture]);
    console.log(
      `${spec.file}: ${fixture.records.length} record(s) in ${((Date.now() - caseStarted) / 1000).toFixed(1)} s`,
    );
  }

  mkdirSync(fixturesDir, { recursive: true });
  for (const [file, fixture] of results) writeJson(`${file}.json`, fixture);
  writeJson('versions.json', versionInfo);
  console.log(
    `wrote ${results.length} fixture(s) and versions.json to ${path.relative(process.cwd(), fixturesDir)} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

const watchdog = setTimeout(() => {
  console.error(`capture did not finish within ${OVERALL_TIMEOUT_MS / 60_000} minutes; giving up`);
  process.exit(1);
}, OVERALL_TIMEOUT_MS);
watchdog.unref();

main().then(
  () => clearTimeout(watchdog),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  },
);

/**
 * Guards the Debezium fixtures captured by scripts/captureFixtures.ts: every case the decoder
 * tests rely on is present, and each file really shows the behaviour it is kept for (a
 * recapture against a Debezium that behaves differently fails here, not in a decoder test
 * that then proves nothing). Reads the fixture files only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  fixtureFiles as files,
  fixturesDir,
  load,
  type Fixture,
  type FixtureRecord,
} from './support/fixtures.js';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON object, or a failed expectation naming what it was. */
function object(value: unknown, what: string): JsonObject {
  if (!isObject(value)) throw new Error(`${what} is not a JSON object: ${JSON.stringify(value)}`);
  return value;
}

/** The parsed key or value; with `schemas.enable=true` its `payload`. */
function payload(text: string | null): unknown {
  if (text === null) return null;
  const parsed: unknown = JSON.parse(text);
  return isObject(parsed) && 'schema' in parsed && 'payload' in parsed ? parsed['payload'] : parsed;
}

const valueOf = (record: FixtureRecord): JsonObject =>
  object(payload(record.value), `value of ${record.topic}@${record.offset}`);
const keyOf = (record: FixtureRecord): unknown => payload(record.key);
const idOf = (record: FixtureRecord): unknown => object(keyOf(record), 'key')['id'];
const opOf = (record: FixtureRecord): unknown =>
  record.value === null ? 'tombstone' : valueOf(record)['op'];

function tableTopic(fixture: Fixture, table: string): string {
  return `${fixture.connector['topic.prefix']}.public.${table}`;
}

function onTopic(fixture: Fixture, topic: string): FixtureRecord[] {
  return fixture.records.filter((record) => record.topic === topic);
}

/** The one record on `topic` with op `op` for key id `id`. */
function single(fixture: Fixture, topic: string, op: string, id: number): FixtureRecord {
  const found = onTopic(fixture, topic).filter(
    (record) => record.key !== null && opOf(record) === op && idOf(record) === id,
  );
  expect(found, `${op} of id ${id} on ${topic}`).toHaveLength(1);
  return found[0]!;
}

function writtenInsert(fixture: Fixture, table: string, id: unknown): Record<string, unknown> {
  const write = fixture.written.find(
    (entry) => entry.op === 'insert' && entry.table === table && entry.values?.['id'] === id,
  );
  if (!write?.values) throw new Error(`no written insert of ${table} id ${String(id)}`);
  return write.values;
}

const PLACEHOLDER = '__debezium_unavailable_value';

describe('the fixture set', () => {
  it.each(files)('%s.json exists and is well formed', (file) => {
    expect(existsSync(new URL(`${file}.json`, fixturesDir))).toBe(true);
    const fixture = load(file);
    expect(fixture.case).toMatch(/^[a-z-]+$/);
    expect(fixture.description.length).toBeGreaterThan(40);
    expect(fixture.connector['connector.class']).toBe(
      'io.debezium.connector.postgresql.PostgresConnector',
    );
    expect(['', '<redacted>']).toContain(fixture.connector['database.password']);
    expect(fixture.sql.length).toBeGreaterThan(0);
    for (const write of fixture.written) expect(fixture.sql[write.sql]).toBeDefined();
    expect(fixture.records.length).toBeGreaterThan(0);
    for (const record of fixture.records) {
      expect(record).toEqual({
        topic: expect.any(String) as string,
        partition: expect.any(Number) as number,
        offset: expect.stringMatching(/^\d+$/) as string,
        timestamp: expect.stringMatching(/^\d+$/) as string,
        key: record.key === null ? null : (expect.any(String) as string),
        value: record.value === null ? null : (expect.any(String) as string),
        headers: expect.any(Object) as object,
      });
      // Key and value are verbatim JSON text (JsonConverter) where present.
      if (record.key !== null) expect(() => JSON.parse(record.key!) as unknown).not.toThrow();
      if (record.value !== null) expect(() => JSON.parse(record.value!) as unknown).not.toThrow();
    }
  });

  it('records the versions the fixtures were captured with', () => {
    const versions = JSON.parse(readFileSync(new URL('versions.json', fixturesDir), 'utf8')) as {
      kafka: string;
      kafkaConnect: string;
      debezium: string;
      postgresql: string;
    };
    expect(versions.debezium).toMatch(/^\d+\.\d+\.\d+\.Final$/);
    expect(versions.kafkaConnect).toMatch(/^\d+\.\d+\.\d+$/);
    expect(versions.kafka).toMatch(/^\d+\.\d+\.\d+$/);
    expect(versions.postgresql).toMatch(/^\d+/);
    // Every change event names the Debezium that produced it.
    let checked = 0;
    for (const file of files) {
      for (const record of load(file).records) {
        const source = payload(record.value);
        if (!isObject(source) || !isObject(source['source'])) continue;
        expect(source['source']['version'], `${file} ${record.topic}@${record.offset}`).toBe(
          versions.debezium,
        );
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('the README maps every fixture file', () => {
    const readme = readFileSync(new URL('README.md', fixturesDir), 'utf8');
    for (const file of files) expect(readme).toContain(`${file}.json`);
  });
});

describe('JsonConverter schemas.enable', () => {
  const enveloped = (text: string) => {
    const parsed: unknown = JSON.parse(text);
    return isObject(parsed) && Object.keys(parsed).sort().join() === 'payload,schema';
  };

  it.each(['wide-types.schemas-true', 'operations.schemas-true', 'outbox-default'] as const)(
    '%s: every key and value has exactly `schema` and `payload`',
    (file) => {
      for (const record of load(file).records) {
        if (record.key !== null) expect(enveloped(record.key), record.key).toBe(true);
        if (record.value !== null) expect(enveloped(record.value), record.value).toBe(true);
      }
    },
  );

  it.each([
    'wide-types.schemas-false',
    'wide-types.string-modes',
    'operations.schemas-false',
    'replica-identity-default',
    'replica-identity-full',
    'unwrap-default',
    'unwrap-rewrite',
    'transaction-metadata',
    'heartbeat',
    'outbox-expanded',
  ] as const)('%s: no key or value is enveloped', (file) => {
    for (const record of load(file).records) {
      if (record.key !== null) expect(enveloped(record.key)).toBe(false);
      if (record.value !== null) expect(enveloped(record.value)).toBe(false);
    }
  });

  it('schemas-true names the logical types of the wide columns', () => {
    const fixture = load('wide-types.schemas-true');
    const insert = single(fixture, tableTopic(fixture, 'wide_types'), 'c', 11);
    const schema = object(
      object(JSON.parse(insert.value!) as unknown, 'value')['schema'],
      'schema',
    );
    const after = (schema['fields'] as JsonObject[]).find((field) => field['field'] === 'after');
    const names = Object.fromEntries(
      (object(after, 'after schema')['fields'] as JsonObject[]).map((field): [string, unknown] => [
        String(field['field']),
        field['name'],
      ]),
    );
    expect(names).toMatchObject({
      c_numeric_12_4: 'org.apache.kafka.connect.data.Decimal',
      c_numeric: 'io.debezium.data.VariableScaleDecimal',
      c_uuid: 'io.debezium.data.Uuid',
      c_json: 'io.debezium.data.Json',
      c_jsonb: 'io.debezium.data.Json',
      c_date: 'io.debezium.time.Date',
      c_time: 'io.debezium.time.MicroTime',
      c_timetz: 'io.debezium.time.ZonedTime',
      c_timestamp: 'io.debezium.time.MicroTimestamp',
      c_timestamptz: 'io.debezium.time.ZonedTimestamp',
      c_interval: 'io.debezium.time.MicroDuration',
      c_enum: 'io.debezium.data.Enum',
    });
  });
});

describe.each([
  'wide-types.schemas-false',
  'wide-types.schemas-true',
  'wide-types.string-modes',
] as const)('%s', (file) => {
  const fixture = load(file);
  const topic = tableTopic(fixture, 'wide_types');

  it('has snapshot reads, inserts, the update, the delete and its tombstone', () => {
    expect(onTopic(fixture, topic).map((record) => [opOf(record), idOf(record)])).toEqual([
      ['r', 1],
      ['r', 3],
      ['c', 11],
      ['c', 12],
      ['c', 13],
      ['u', 11],
      ['d', 12],
      ['tombstone', 12],
    ]);
  });

  it('carries the TOAST value on insert and the unavailable-value placeholder on update', () => {
    const toast = writtenInsert(fixture, 'wide_types', 11)['c_toast'];
    expect(typeof toast === 'string' && toast.length).toBeGreaterThan(8000);
    const inserted = object(valueOf(single(fixture, topic, 'c', 11))['after'], 'after');
    expect(inserted['c_toast']).toBe(toast);
    const updated = object(valueOf(single(fixture, topic, 'u', 11))['after'], 'after');
    expect(updated['c_toast']).toBe(PLACEHOLDER);
    expect(updated['c_integer']).toBe(42);
    // Stored out of line, which is what makes PostgreSQL leave it out of the update.
    expect(fixture.database?.toastTable?.chunks).toBeGreaterThan(0);
  });

  it('shows NULLs, empty arrays and unicode as written', () => {
    const nulls = object(valueOf(single(fixture, topic, 'c', 12))['after'], 'after');
    expect(nulls['c_text']).toBeNull();
    expect(nulls['c_text_array']).toEqual([]);
    const edge = object(valueOf(single(fixture, topic, 'c', 11))['after'], 'after');
    expect(edge['c_text']).toBe(writtenInsert(fixture, 'wide_types', 11)['c_text']);
    expect(edge['c_text_array']).toEqual(['a', 'b c', 'ü', null, 'with "quote"']);
    expect(edge['c_timestamptz']).toBe('2024-02-29T18:29:59.123456Z');
    expect(edge['c_char_5']).toBe('ab   ');
  });

  it('has REPLICA IDENTITY DEFAULT: no before on update, only the key on delete', () => {
    expect(valueOf(single(fixture, topic, 'u', 11))['before']).toBeNull();
    const before = object(valueOf(single(fixture, topic, 'd', 12))['before'], 'before');
    expect(before['id']).toBe(12);
  });
});

describe('decimal handling', () => {
  it('precise (default) mode gives base64 unscaled bytes and {scale, value}', () => {
    const fixture = load('wide-types.schemas-false');
    const after = object(
      valueOf(single(fixture, tableTopic(fixture, 'wide_types'), 'c', 11))['after'],
      'after',
    );
    const unscaled = Buffer.from(after['c_numeric_12_4'] as string, 'base64');
    expect(BigInt.asIntN(unscaled.length * 8, BigInt(`0x${unscaled.toString('hex')}`))).toBe(
      -123456789012n,
    );
    expect(after['c_numeric']).toEqual({ scale: 9, value: expect.any(String) as string });
  });

  it('string mode gives the written text', () => {
    const fixture = load('wide-types.string-modes');
    const after = object(
      valueOf(single(fixture, tableTopic(fixture, 'wide_types'), 'c', 11))['after'],
      'after',
    );
    expect(after['c_numeric_12_4']).toBe('-12345678.9012');
    expect(after['c_numeric']).toBe('12345678901234567890.123456789');
  });
});

describe.each(['operations.schemas-false', 'operations.schemas-true'] as const)('%s', (file) => {
  const fixture = load(file);
  const topic = tableTopic(fixture, 'parcels');
  const messages = onTopic(fixture, `${fixture.connector['topic.prefix']}.message`);

  it('has every op in order, with tombstones after deletes', () => {
    expect(
      onTopic(fixture, topic).map((record) => [
        opOf(record),
        record.key === null ? null : idOf(record),
      ]),
    ).toEqual([
      ['r', 1],
      ['r', 2],
      ['c', 3],
      ['u', 3],
      ['d', 2],
      ['tombstone', 2],
      ['c', 20],
      ['d', 1],
      ['tombstone', 1],
      ['c', 4],
      ['t', null],
    ]);
  });

  it('marks the snapshot reads first and last', () => {
    const reads = onTopic(fixture, topic).filter((record) => opOf(record) === 'r');
    expect(reads.map((record) => object(valueOf(record)['source'], 'source')['snapshot'])).toEqual([
      'first',
      'last',
    ]);
  });

  it('links the key update with __debezium.oldkey and __debezium.newkey headers', () => {
    const deleted = single(fixture, topic, 'd', 2);
    expect(payload(deleted.headers['__debezium.newkey'] ?? null)).toEqual({ id: 20 });
    const created = single(fixture, topic, 'c', 20);
    expect(payload(created.headers['__debezium.oldkey'] ?? null)).toEqual({ id: 2 });
  });

  it('has tombstones with a null value', () => {
    const tombstones = onTopic(fixture, topic).filter((record) => record.value === null);
    expect(tombstones.map(idOf)).toEqual([2, 1]);
  });

  it('has a truncate (op t) without a key or row images', () => {
    const truncates = onTopic(fixture, topic).filter((record) => opOf(record) === 't');
    expect(truncates).toHaveLength(1);
    expect(truncates[0]!.key).toBeNull();
    expect(valueOf(truncates[0]!)).toMatchObject({ before: null, after: null, op: 't' });
    expect(fixture.connector['skipped.operations']).toBe('none');
  });

  it('has the transactional and the non-transactional message (op m)', () => {
    expect(messages).toHaveLength(2);
    const written = fixture.written.filter((entry) => entry.op === 'message');
    messages.forEach((record, index) => {
      const value = valueOf(record);
      expect(value['op']).toBe('m');
      expect(keyOf(record)).toEqual({ prefix: 'trackops' });
      const message = object(value['message'], 'message');
      expect(Buffer.from(message['content'] as string, 'base64').toString('utf8')).toBe(
        written[index]!.content,
      );
      const txId = object(value['source'], 'source')['txId'];
      if (written[index]!.transactional) expect(txId).toEqual(expect.any(Number));
      else expect(txId).toBeNull();
    });
  });
});

describe('replica identity', () => {
  it('DEFAULT: update has no before and leaves the TOAST column as the placeholder', () => {
    const fixture = load('replica-identity-default');
    const topic = tableTopic(fixture, 'ri_default');
    const update = valueOf(single(fixture, topic, 'u', 1));
    expect(update['before']).toBeNull();
    expect(object(update['after'], 'after')['notes']).toBe(PLACEHOLDER);
    const before = object(valueOf(single(fixture, topic, 'd', 1))['before'], 'before');
    expect(before['id']).toBe(1);
    expect(before['qty']).toBeNull();
  });

  it('FULL: update and delete carry the whole old row, TOAST value included', () => {
    const fixture = load('replica-identity-full');
    const topic = tableTopic(fixture, 'ri_full');
    const notes = writtenInsert(fixture, 'ri_full', 1)['notes'];
    const update = valueOf(single(fixture, topic, 'u', 1));
    expect(update['before']).toEqual({ id: 1, label: 'first', qty: 10, notes });
    expect(object(update['after'], 'after')['notes']).toBe(notes);
    const before = object(valueOf(single(fixture, topic, 'd', 1))['before'], 'before');
    expect(before).toEqual({ id: 1, label: 'first, updated', qty: 11, notes });
    expect(JSON.stringify(fixture.records)).not.toContain(PLACEHOLDER);
  });
});

describe('ExtractNewRecordState (unwrap)', () => {
  it.each(['unwrap-default', 'unwrap-rewrite'] as const)(
    '%s: flat rows with the added fields, no envelope',
    (file) => {
      const fixture = load(file);
      const values = fixture.records
        .map((record) => payload(record.value))
        .filter((value): value is JsonObject => isObject(value));
      expect(values.length).toBeGreaterThanOrEqual(4);
      for (const value of values) {
        for (const envelopeField of ['before', 'after', 'source', 'op'])
          expect(value).not.toHaveProperty(envelopeField);
        expect(value).toMatchObject({
          id: expect.any(Number) as number,
          __op: expect.stringMatching(/^[cud]$/) as string,
          __table: 'parcels',
          __lsn: expect.any(Number) as number,
          __source_ts_ms: expect.any(Number) as number,
        });
      }
      expect(values.map((value) => value['__op'])).toEqual(
        file === 'unwrap-default' ? ['c', 'c', 'u', 'c'] : ['c', 'c', 'u', 'd', 'c', 'd'],
      );
    },
  );

  it('default mode: a delete becomes a null value, written as the JSON text `null`', () => {
    const fixture = load('unwrap-default');
    const deletes = fixture.records.filter((record) => record.value === 'null');
    expect(deletes.map(idOf)).toEqual([2, 1]);
    expect(fixture.records.filter((record) => record.value === null)).toEqual([]);
  });

  it('rewrite mode: deletes carry __deleted=true and there are no tombstones', () => {
    const fixture = load('unwrap-rewrite');
    const deleted = fixture.records.filter((record) => valueOf(record)['__deleted'] === 'true');
    expect(deleted.map(idOf)).toEqual([2, 1]);
    expect(fixture.records.some((record) => record.value === null)).toBe(false);
  });
});

describe('transaction metadata', () => {
  const fixture = load('transaction-metadata');
  const transactions = onTopic(fixture, `${fixture.connector['topic.prefix']}.transaction`);

  it('has BEGIN and END records on the transaction topic', () => {
    expect(transactions.map((record) => valueOf(record)['status'])).toEqual([
      'BEGIN',
      'END',
      'BEGIN',
      'END',
    ]);
    expect(valueOf(transactions[1]!)).toMatchObject({
      event_count: 3,
      data_collections: expect.arrayContaining([
        { data_collection: 'public.parcels', event_count: 2 },
        { data_collection: 'public.parcel_events', event_count: 1 },
      ]) as unknown,
    });
  });

  it('puts a transaction block in every change event, whose txId matches BEGIN', () => {
    const txIdOf = (id: unknown) => String(id).split(':')[0];
    const firstTx = txIdOf(valueOf(transactions[0]!)['id']);
    const changes = fixture.records.filter((record) => !record.topic.endsWith('.transaction'));
    expect(changes).toHaveLength(4);
    for (const record of changes) {
      const block = object(valueOf(record)['transaction'], 'transaction');
      expect(block).toMatchObject({
        id: expect.stringMatching(/^\d+:\d+$/) as string,
        total_order: expect.any(Number) as number,
        data_collection_order: expect.any(Number) as number,
      });
      expect(txIdOf(block['id'])).toBe(String(object(valueOf(record)['source'], 'source')['txId']));
    }
    expect(
      changes.filter(
        (record) => txIdOf(object(valueOf(record)['transaction'], 'tx')['id']) === firstTx,
      ),
    ).toHaveLength(3);
  });
});

describe('heartbeats', () => {
  it('come on __debezium-heartbeat.<prefix>, keyed by the server name', () => {
    const fixture = load('heartbeat');
    const prefix = fixture.connector['topic.prefix']!;
    const heartbeats = onTopic(fixture, `__debezium-heartbeat.${prefix}`);
    expect(heartbeats.length).toBeGreaterThanOrEqual(1);
    for (const record of heartbeats) {
      expect(keyOf(record)).toEqual({ serverName: prefix });
      expect(valueOf(record)).toEqual({ ts_ms: expect.any(Number) as number });
    }
  });
});

describe.each(['outbox-default', 'outbox-expanded'] as const)('%s', (file) => {
  const fixture = load(file);
  const inserts = fixture.written.filter((entry) => entry.op === 'insert');
  const aggregateType = inserts[0]?.values?.['aggregatetype'];

  it('routes to outbox.event.<aggregatetype>, keyed by the aggregate id, with the id header', () => {
    expect(fixture.connector['transforms.outbox.type']).toBe(
      'io.debezium.transforms.outbox.EventRouter',
    );
    expect(fixture.records).toHaveLength(inserts.length);
    fixture.records.forEach((record, index) => {
      const written = inserts[index]!.values!;
      expect(record.topic).toBe(`outbox.event.${String(aggregateType)}`);
      expect(keyOf(record)).toBe(written['aggregateid']);
      expect(record.headers['id']).toBe(written['id']);
      // The `type` column travels only where table.fields.additional.placement puts it.
      expect(record.headers['type']).toBe(file === 'outbox-expanded' ? written['type'] : undefined);
    });
  });

  it('carries the payload of each event', () => {
    fixture.records.forEach((record, index) => {
      const written = inserts[index]!.values!;
      const value = payload(record.value);
      if (written['payload'] === null) {
        // Not a Kafka tombstone: the router keeps a value schema, so JsonConverter writes null.
        expect(record.value).not.toBeNull();
        expect(value).toBeNull();
      } else if (file === 'outbox-default') {
        // The jsonb text, as a JSON string of schema io.debezium.data.Json.
        expect(typeof value).toBe('string');
        expect(JSON.parse(value as string)).toEqual(written['payload']);
      } else {
        // Expanded into JSON; fields whose value is null are dropped.
        const expected = Object.fromEntries(
          Object.entries(object(written['payload'], 'payload')).filter(([, item]) => item !== null),
        );
        expect(value).toEqual(expected);
      }
    });
  });
});

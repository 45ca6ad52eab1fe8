/**
 * Op and kind of each fixture case: key updates, truncates, messages, transaction metadata,
 * heartbeats, the unwrap SMT in both delete modes, and the Outbox Event Router.
 */
import { describe, expect, it } from 'vitest';
import {
  UNAVAILABLE,
  column,
  createDecoder,
  decodeOutboxRecord,
  defineTable,
  type DecodedRecord,
} from '@trackops/cdc';
import { load, onTopic, writtenInsert } from './support/fixtures.js';

const decoder = createDecoder();

const parcels = defineTable({
  table: 'parcels',
  key: ['id'],
  columns: {
    id: column.int32(),
    label: column.string(),
    weight: column.decimal({ scale: 2 }).nullable(),
  },
});

describe.each(['operations.schemas-false', 'operations.schemas-true'] as const)('%s', (file) => {
  const fixture = load(file);
  const events = onTopic(fixture, '.public.parcels').map((record) =>
    decoder.decode(record, parcels),
  );
  const messages = onTopic(fixture, '.message').map((record) => decoder.decode(record));

  it('decodes snapshot reads with their snapshot markers and typed rows', () => {
    const reads = events.filter((event) => event.kind === 'change' && event.op === 'r');
    expect(reads.map((event) => event.kind === 'change' && event.source.snapshot)).toEqual([
      'first',
      'last',
    ]);
    expect(reads[0]).toMatchObject({
      key: { id: 1 },
      after: { id: 1, label: 'snapshot one', weight: '1.50' },
    });
    expect(writtenInsert(fixture, 1)).toMatchObject({ label: 'snapshot one', weight: '1.50' });
  });

  it('surfaces a key update as delete + tombstone (newKey) and create (oldKey)', () => {
    const [, , , , deleted, tombstone, created] = events;
    expect(deleted).toMatchObject({ kind: 'change', op: 'd', key: { id: 2 }, newKey: { id: 20 } });
    expect(tombstone).toMatchObject({ kind: 'tombstone', key: { id: 2 }, newKey: { id: 20 } });
    expect(created).toMatchObject({ kind: 'change', op: 'c', key: { id: 20 }, oldKey: { id: 2 } });
    // REPLICA IDENTITY DEFAULT: the NOT NULL label is a type default, not data.
    expect(deleted).toMatchObject({ before: { id: 2, label: '', weight: null } });
  });

  it('decodes the truncate without a key or row images', () => {
    const truncate = events.at(-1)!;
    expect(truncate).toMatchObject({
      kind: 'change',
      op: 't',
      key: null,
      before: null,
      after: null,
    });
    expect(truncate.kind === 'change' && truncate.source.table).toBe('parcels');
  });

  it('decodes messages with their content and transactionality', () => {
    const written = fixture.written.filter((entry) => entry.op === 'message');
    expect(messages).toHaveLength(2);
    messages.forEach((event, index) => {
      if (event.kind !== 'message') throw new Error(`not a message: ${event.kind}`);
      expect(event.op).toBe('m');
      expect(event.prefix).toBe(written[index]!.prefix);
      expect(Buffer.from(event.content).toString('utf8')).toBe(written[index]!.content);
      expect(event.transactional).toBe(written[index]!.transactional);
      expect(event.source.txId === null).toBe(!written[index]!.transactional);
    });
  });

  it('reads the source block with its real types', () => {
    const event = events[2]!;
    if (event.kind !== 'change') throw new Error('expected a change');
    expect(event.source).toMatchObject({
      connector: 'postgresql',
      schema: 'public',
      table: 'parcels',
      snapshot: 'false',
    });
    expect(event.source.lsn).toBeTypeOf('bigint');
    expect(event.source.tsNs).toBe(BigInt(event.source.tsUs!) * 1000n);
    expect(event.source.sequence).toEqual([null, String(event.source.lsn)]);
    expect(event.tsNs).toBeTypeOf('bigint');
    expect(event.headers['__debezium.context.connectorName']).toBe('postgresql');
  });
});

describe('transaction metadata', () => {
  const fixture = load('transaction-metadata');
  const events = fixture.records.map((record) => decoder.decode(record));
  const transactions = events.filter((event) => event.kind === 'transaction');

  it('decodes BEGIN and END with counts per table', () => {
    expect(transactions.map((event) => event.status)).toEqual(['BEGIN', 'END', 'BEGIN', 'END']);
    const end = transactions[1]!;
    if (end.status !== 'END') throw new Error('expected END');
    expect(end.eventCount).toBe(3);
    expect(end.dataCollections).toEqual(
      expect.arrayContaining([
        { dataCollection: 'public.parcels', eventCount: 2 },
        { dataCollection: 'public.parcel_events', eventCount: 1 },
      ]),
    );
    // The ids differ in their LSN part; the txId correlates them.
    expect(transactions[0]!.id).not.toBe(end.id);
    expect(transactions[0]!.txId).toBe(end.txId);
  });

  it('gives every change its transaction block, correlated by txId', () => {
    const changes = events.filter((event) => event.kind === 'change');
    expect(changes).toHaveLength(4);
    for (const event of changes) {
      expect(event.transaction).not.toBeNull();
      expect(event.transaction!.txId).toBe(event.source.txId);
    }
    const first = changes.filter((event) => event.transaction!.txId === transactions[0]!.txId);
    expect(first.map((event) => event.transaction!.totalOrder).sort()).toEqual([1, 2, 3]);
  });
});

describe('heartbeats', () => {
  it('decodes heartbeats with their server name and time', () => {
    const fixture = load('heartbeat');
    const heartbeats = fixture.records
      .map((record) => decoder.decode(record))
      .filter((event) => event.kind === 'heartbeat');
    expect(heartbeats).toHaveLength(3);
    for (const event of heartbeats) {
      expect(event.serverName).toBe(fixture.connector['topic.prefix']);
      expect(event.tsMs).toBeTypeOf('number');
    }
    // Recognised by shape as well, when the topic is not given.
    const { topic: _topic, ...withoutTopic } = fixture.records.at(-1)!;
    expect(decoder.decode(withoutTopic).kind).toBe('heartbeat');
  });
});

describe('ExtractNewRecordState (unwrap)', () => {
  const unwrapped = (file: 'unwrap-default' | 'unwrap-rewrite') =>
    load(file).records.map((record) => decoder.decode(record, parcels));

  it('default mode: rows with the added fields, and the `null`-text delete', () => {
    const events = unwrapped('unwrap-default');
    expect(events[0]).toMatchObject({
      kind: 'unwrapped',
      op: 'c',
      deleted: false,
      row: { id: 1, label: 'inserted', weight: '1.00' },
      fields: { op: 'c', table: 'parcels' },
    });
    const update = events[2]!;
    expect(update).toMatchObject({ op: 'u', row: { label: 'updated', weight: '1.25' } });
    expect(update.kind === 'unwrapped' && update.row).not.toHaveProperty('__op');
    // The delete's value is the four bytes `null`, not a Kafka tombstone.
    expect(events[3]).toMatchObject({
      kind: 'unwrapped',
      op: 'd',
      deleted: true,
      row: null,
      key: { id: 2 },
      newKey: { id: 30 },
    });
    expect(events[4]).toMatchObject({ op: 'c', oldKey: { id: 2 }, row: { id: 30 } });
    expect(events[5]).toMatchObject({ deleted: true, row: null, key: { id: 1 } });
  });

  it('rewrite mode: deletes carry __deleted and the before image', () => {
    const events = unwrapped('unwrap-rewrite');
    expect(events.map((event) => event.kind === 'unwrapped' && event.deleted)).toEqual([
      false,
      false,
      false,
      true,
      false,
      true,
    ]);
    expect(events[3]).toMatchObject({
      op: 'd',
      row: { id: 2, label: '', weight: null },
      fields: { deleted: 'true' },
    });
  });
});

describe('replica identity', () => {
  const notes = column.toastable(column.string()).nullable();
  const table = (name: string) =>
    defineTable({
      table: name,
      key: ['id'],
      columns: {
        id: column.int32(),
        label: column.string(),
        qty: column.int32().nullable(),
        notes,
      },
    });

  it('DEFAULT: the unchanged TOAST column is UNAVAILABLE, the update has no before', () => {
    const fixture = load('replica-identity-default');
    const [update] = fixture.records.map((record) => decoder.decode(record, table('ri_default')));
    expect(update).toMatchObject({ op: 'u', before: null, after: { id: 1, notes: UNAVAILABLE } });
  });

  it('FULL: before holds the whole old row, TOAST value included', () => {
    const fixture = load('replica-identity-full');
    const [update, , deleted] = fixture.records.map((record) =>
      decoder.decode(record, table('ri_full')),
    );
    const written = writtenInsert(fixture, 1)['notes'];
    expect(update).toMatchObject({
      op: 'u',
      before: { qty: 10, notes: written },
      after: { qty: 11, notes: written },
    });
    expect(deleted).toMatchObject({ op: 'd', before: { label: 'first, updated', notes: written } });
  });

  it('without a declaration a non-toastable column fails, naming the column', () => {
    const fixture = load('replica-identity-default');
    const strict = defineTable({
      table: 'ri_default',
      columns: { id: column.int32(), notes: column.string() },
    });
    expect(() => decoder.decode(fixture.records[0]!, strict)).toThrow(/value\.after\.notes: /);
  });
});

describe.each(['outbox-default', 'outbox-expanded'] as const)(
  '%s (Outbox Event Router)',
  (file) => {
    const fixture = load(file);
    const inserts = fixture.written.filter((entry) => entry.op === 'insert');

    it('gives id, type, aggregate id and the parsed payload', () => {
      expect(fixture.records).toHaveLength(inserts.length);
      fixture.records.forEach((record, index) => {
        const event = decodeOutboxRecord(record);
        const written = inserts[index]!.values!;
        expect(event.kind).toBe('outbox');
        expect(event.id).toBe(written['id']);
        expect(event.type).toBe(file === 'outbox-expanded' ? written['type'] : undefined);
        expect(event.aggregateId).toBe(written['aggregateid']);
        const payload = written['payload'] as Record<string, unknown> | null;
        // The expanded form drops fields whose value is JSON null.
        const expected =
          payload === null || file === 'outbox-default'
            ? payload
            : Object.fromEntries(Object.entries(payload).filter(([, value]) => value !== null));
        expect(event.payload).toEqual(expected);
      });
    });
  },
);

it('narrows a decoded record by kind and op', () => {
  const fixture = load('operations.schemas-false');
  const event: DecodedRecord = decoder.decode(fixture.records[2]!);
  expect(event.kind === 'change' && event.op === 'c' && event.after['id']).toBe(3);
});

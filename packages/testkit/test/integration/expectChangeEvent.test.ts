import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { column, defineTable, type CreateEvent, type UpdateEvent } from '@trackops/cdc';
import {
  createTestDatabase,
  debeziumTestConfig,
  deleteConnector,
  expectChangeEvent,
  putConnector,
  stackEndpoints,
  testKafka,
  waitForSlot,
  type TestDatabase,
} from '@trackops/testkit';

const parcels = defineTable({
  table: 'parcels',
  key: ['id'],
  columns: { id: column.int32(), status: column.string() },
});

describe('expectChangeEvent', () => {
  const stack = stackEndpoints();
  const kafka = testKafka(stack.KAFKA_BROKERS);
  let db: TestDatabase;
  let topic: string;

  beforeAll(async () => {
    db = await createTestDatabase(stack.DATABASE_URL, 'testkit_cdc');
    topic = `${db.name}.public.parcels`;
    await db.pool.query('create table parcels (id int primary key, status text not null)');
    await db.pool.query('alter table parcels replica identity full');
    await putConnector(
      stack.CONNECT_URL,
      db.name,
      debeziumTestConfig(
        {
          databaseUrl: stack.CONNECT_DATABASE_URL,
          database: db.name,
          topicPrefix: db.name,
          tables: ['public.parcels'],
        },
        { 'snapshot.mode': 'no_data' },
      ),
    );
    await waitForSlot(stack.DATABASE_URL, db.name);
    await db.pool.query(`insert into parcels values (1, 'NEW'), (2, 'NEW')`);
    await db.pool.query(`update parcels set status = 'SHIPPED' where id = 1`);
    await db.pool.query('delete from parcels where id = 2');
  });
  afterAll(async () => {
    await deleteConnector(stack.CONNECT_URL, db.name);
    await db.drop();
  });

  it('finds an insert by key and row, undeclared: rows as the converter wrote them', async () => {
    const event = await expectChangeEvent(kafka, {
      topic,
      op: 'c',
      key: { id: 2 },
      where: { status: 'NEW' },
      within: 30_000,
    });

    expectTypeOf(event).toEqualTypeOf<
      CreateEvent<Readonly<Record<string, unknown>>, Readonly<Record<string, unknown>>>
    >();
    expect(event).toMatchObject({ op: 'c', after: { id: 2, status: 'NEW' }, key: { id: 2 } });
    expect(event.source.table).toBe('parcels');
  });

  it('decodes a declared table, matches an update with a predicate and narrows by op', async () => {
    const event = await expectChangeEvent(kafka, {
      topic,
      table: parcels,
      op: 'u',
      where: (row) => row.status === 'SHIPPED',
    });

    expectTypeOf(event).toEqualTypeOf<
      UpdateEvent<{ id: number; status: string }, { id: number }>
    >();
    expect(event.before).toEqual({ id: 1, status: 'NEW' });
    expect(event.after).toEqual({ id: 1, status: 'SHIPPED' });
  });

  it('matches a delete on the row before it', async () => {
    const event = await expectChangeEvent(kafka, { topic, op: ['d'], where: { id: 2 } });

    expect(event.before).toMatchObject({ id: 2, status: 'NEW' });
  });

  it('fails at the deadline naming, for each record, the op, key or field that differed', async () => {
    const failure = expectChangeEvent(kafka, {
      topic,
      op: ['c', 'u'],
      key: { id: 1 },
      where: { status: 'LOST' },
      within: 4_000,
    });

    await expect(failure).rejects.toMatchObject({ code: 'TESTKIT_EXPECTATION_FAILED' });
    const message = await failure.catch((error: Error) => error.message);
    expect(message).toContain(
      `expectChangeEvent: no change event on ${topic} matched within 4000 ms; 5 record(s) seen, none matched:`,
    );
    expect(message).toContain(
      `partition 0 offset 0: op c, after status: expected 'LOST', got 'NEW'`,
    );
    expect(message).toContain('partition 0 offset 1: op c, key id: expected 1, got 2');
    expect(message).toContain(
      `partition 0 offset 2: op u, after status: expected 'LOST', got 'SHIPPED'`,
    );
    expect(message).toContain('partition 0 offset 3: op d, expected c or u');
    expect(message).toContain('partition 0 offset 4: a tombstone record, not a change event');
  });

  it('rejects bad options at once, naming the option', async () => {
    await expect(
      expectChangeEvent(kafka, { topic, op: 'x' as 'c', table: {} as typeof parcels }),
    ).rejects.toThrow(
      /invalid expectChangeEvent options: op: .*; table: must be a table declared with @trackops\/cdc's defineTable/,
    );
  });
});

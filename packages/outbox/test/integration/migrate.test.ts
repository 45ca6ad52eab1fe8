import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, stackEndpoints, type TestDatabase } from '@trackops/testkit';
import { migrate } from '@trackops/outbox';

describe('migrate', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(stackEndpoints().DATABASE_URL, 'outbox_migrate');
  });
  afterAll(() => db.drop());

  it('creates the table with the Outbox Event Router columns, once, even when five processes race', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () => migrate(db.pool, { schema: 'events', table: 'outbox' })),
    );

    expect(results.filter((result) => result.applied.length > 0)).toHaveLength(1);
    expect(results.every((result) => result.version === 2)).toBe(true);
    const { rows } = await db.pool.query<{ column_name: string }>(
      "select column_name from information_schema.columns where table_schema = 'events' and table_name = 'outbox'",
    );
    expect(rows.map((row) => row.column_name)).toEqual(
      expect.arrayContaining([
        'id',
        'aggregatetype',
        'aggregateid',
        'type',
        'payload',
        'seq',
        'published_at',
        'attempts',
        'dead_at',
        'headers',
      ]),
    );
    expect(await migrate(db.pool, { schema: 'events', table: 'outbox' })).toEqual({
      applied: [],
      version: 2,
    });
  });

  it('refuses a table name that would need quoting, naming the option, and creates nothing', async () => {
    await expect(migrate(db.pool, { table: 'outbox"; drop table x; --' })).rejects.toThrow(
      /table\.table must be 1-63 letters/,
    );
    const { rows } = await db.pool.query(
      "select 1 from information_schema.tables where table_name like 'outbox%' and table_schema = 'public'",
    );
    expect(rows).toHaveLength(0);
  });
});

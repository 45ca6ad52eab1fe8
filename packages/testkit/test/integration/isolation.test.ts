import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase, stackEndpoints, testRedis, uniqueName } from '@trackops/testkit';

describe('isolation helpers', () => {
  const stack = stackEndpoints();
  const admin = new pg.Pool({ connectionString: stack.DATABASE_URL, max: 1 });
  afterAll(() => admin.end());

  const databaseExists = async (name: string) =>
    (await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1;

  it('gives each test file a database of its own, dropped again by drop()', async () => {
    const [first, second] = await Promise.all([
      createTestDatabase(stack.DATABASE_URL, 'testkit_iso'),
      createTestDatabase(stack.DATABASE_URL, 'testkit_iso'),
    ]);
    try {
      expect(first.name).not.toBe(second.name);
      await first.pool.query('create table parcels (id int)');
      await expect(second.pool.query('select * from parcels')).rejects.toThrow(
        'relation "parcels" does not exist',
      );
      expect(new URL(first.url).pathname).toBe(`/${first.name}`);
    } finally {
      await first.drop();
      await second.drop();
      await first.drop(); // a second drop does nothing
    }
    expect(await databaseExists(first.name)).toBe(false);
    expect(await databaseExists(second.name)).toBe(false);
  });

  it('names topics, groups and key prefixes no one else uses, and refuses unsafe prefixes', () => {
    const names = new Set(Array.from({ length: 100 }, () => uniqueName('orders')));

    expect(names.size).toBe(100);
    for (const name of names) expect(name).toMatch(/^orders_[0-9a-f]{10}$/);
    expect(() => uniqueName('Orders-1')).toThrow(
      'uniqueName: prefix must be lower-case letters, digits and _, starting with a letter (got "Orders-1")',
    );
  });

  it('keeps Redis keys apart behind a prefix of their own', async () => {
    const a = testRedis(stack.REDIS_URL, 'testkit_iso');
    const b = testRedis(stack.REDIS_URL, 'testkit_iso');
    try {
      expect(a.keyPrefix).toMatch(/^testkit_iso_[0-9a-f]{10}:$/);
      expect(a.keyPrefix).not.toBe(b.keyPrefix);
      await a.redis.set(`${a.keyPrefix}parcel`, 'a', 'EX', 60);
      expect(await b.redis.get(`${b.keyPrefix}parcel`)).toBeNull();
      expect(await b.redis.get(`${a.keyPrefix}parcel`)).toBe('a');
    } finally {
      await a.redis.del(`${a.keyPrefix}parcel`);
      a.redis.disconnect();
      b.redis.disconnect();
    }
  });
});

import pg from 'pg';
import { uniqueName } from './ids.js';

/** A database of one test file's own, dropped by {@link TestDatabase.drop}. */
export interface TestDatabase {
  /** The database name (also usable as a unique prefix). */
  readonly name: string;
  /** Connection URL of the new database. */
  readonly url: string;
  /** A small pool on it, ended by `drop()`. */
  readonly pool: pg.Pool;
  /** Ends the pool, drops the database's replication slots, then the database itself. */
  drop(): Promise<void>;
}

/**
 * `url` with its database name replaced.
 *
 * @param url - A `postgres://` URL.
 * @param database - The database name to put in it.
 */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function adminQuery(
  serverUrl: string,
  sql: string,
  values: unknown[] = [],
): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}

/**
 * Creates a fresh database on the server, so test files never share tables and can run in
 * parallel. Call `drop()` in `afterAll`.
 *
 * @param serverUrl - The server (`DATABASE_URL`); the role needs `CREATEDB`.
 * @param prefix - The start of the database name (see {@link uniqueName}).
 * @defaultValue `prefix`: `'test'`
 *
 * @example
 * ```ts
 * let db: TestDatabase;
 * beforeAll(async () => {
 *   db = await createTestDatabase(stackEndpoints().DATABASE_URL, 'orders');
 *   await migrate(db.pool); // @trackops/outbox's table, say
 * });
 * afterAll(() => db.drop());
 * ```
 */
export async function createTestDatabase(
  serverUrl: string,
  prefix = 'test',
): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  // `name` is generated from [a-z0-9_] only, so quoting it is enough.
  await adminQuery(serverUrl, `create database "${name}"`);
  const url = withDatabase(serverUrl, name);
  const pool = new pg.Pool({ connectionString: url, max: 5 });
  // An idle client's error (say the server restarted under a test) must not crash the run.
  pool.on('error', () => undefined);
  let dropped = false;
  return {
    name,
    url,
    pool,
    async drop() {
      if (dropped) return;
      dropped = true;
      await pool.end();
      // A database with a replication slot cannot be dropped; a test's connector must be
      // deleted first, which leaves its slot inactive.
      await adminQuery(
        serverUrl,
        'select pg_drop_replication_slot(slot_name) from pg_replication_slots where database = $1 and not active',
        [name],
      );
      await adminQuery(serverUrl, `drop database if exists "${name}" with (force)`);
    },
  };
}

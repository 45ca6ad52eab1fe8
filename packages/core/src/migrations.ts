import { TrackOpsError } from './errors.js';
import { quoteIdentifier, type ConnectionPool } from './sql.js';

/** One versioned schema change. `sql` receives nothing: callers close over their names. */
export interface Migration {
  /** 1, 2, 3 … — applied in this order, each exactly once. */
  readonly version: number;
  /** A short description, recorded with the version. */
  readonly name: string;
  /** The statements, run inside the migration transaction. */
  readonly sql: string;
}

/** Where and under which lock a component records its migrations. */
export interface MigrationTarget {
  /** The schema that holds the component's tables and its history table. */
  readonly schema: string;
  /** The history table, e.g. `outbox_migrations`. */
  readonly historyTable: string;
  /**
   * The advisory lock that serialises concurrent migrators of this component. Processes
   * starting at once all call migrate; the first applies, the others wait and find it done.
   */
  readonly lockKey: string;
}

/** What {@link runMigrations} did. */
export interface MigrationResult {
  /** Versions applied by this call, in order (empty when the schema was already current). */
  readonly applied: number[];
  /** The schema's version after the call. */
  readonly version: number;
}

/**
 * Applies the migrations a schema lacks, all in one transaction under a transaction-scoped
 * advisory lock: either every pending version is applied or none is, and several processes
 * may call it at once safely.
 *
 * @throws TrackOpsError `MIGRATION_FAILED` naming the version, with PostgreSQL's error as cause.
 */
export async function runMigrations(
  pool: ConnectionPool,
  target: MigrationTarget,
  migrations: readonly Migration[],
): Promise<MigrationResult> {
  const schema = quoteIdentifier(target.schema, 'schema');
  const history = `${schema}.${quoteIdentifier(target.historyTable, 'historyTable')}`;
  const client = await pool.connect();
  let failed: Error | undefined;
  try {
    await client.query('begin');
    await client.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [target.lockKey]);
    await client.query(`create schema if not exists ${schema}`);
    await client.query(
      `create table if not exists ${history} (version integer primary key, name text not null, applied_at timestamptz not null default now())`,
    );
    const { rows } = await client.query<{ version: number }>(`select version from ${history}`);
    const done = new Set(rows.map((row) => row.version));
    const applied: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      try {
        await client.query(migration.sql);
      } catch (error) {
        throw new TrackOpsError({
          code: 'MIGRATION_FAILED',
          message: `migration ${migration.version} (${migration.name}) of ${target.schema}.${target.historyTable} failed: ${(error as Error).message}`,
          cause: error,
        });
      }
      await client.query(`insert into ${history} (version, name) values ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    await client.query('commit');
    const version = Math.max(0, ...done, ...applied);
    return { applied, version };
  } catch (error) {
    failed = error as Error;
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release(failed);
  }
}

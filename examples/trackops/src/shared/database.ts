import { runMigrations, type Migration } from '@trackops/core';
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { databaseUrlFor } from './config.js';

/** Creates `database` on the server if it does not exist (concurrent callers are fine). */
export async function ensureDatabase(serverUrl: string, database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: databaseUrlFor(serverUrl, 'postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [
      database,
    ]);
    if (rowCount === 0) {
      await admin.query(`create database "${database}"`).catch((error: { code?: string }) => {
        // 42P04: another process created it meanwhile.
        if (error.code !== '42P04' && error.code !== '23505') throw error;
      });
    }
  } finally {
    await admin.end();
  }
}

/**
 * The versioned SQL migrations of a service: `NNN_name.sql` files in `directory`, applied in
 * version order, once, by `runMigrations` (history in `schema_migrations`).
 */
export function sqlMigrations(directory: URL): Migration[] {
  return readdirSync(directory)
    .filter((file) => /^\d+_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, file.indexOf('_'))),
      name: file.slice(file.indexOf('_') + 1, -'.sql'.length).replaceAll('_', ' '),
      sql: readFileSync(new URL(file, directory), 'utf8'),
    }));
}

/** Applies a service's SQL migrations to its database. */
export async function migrateService(
  pool: pg.Pool,
  service: string,
  directory: URL,
): Promise<void> {
  await runMigrations(
    pool,
    {
      schema: 'public',
      historyTable: 'schema_migrations',
      lockKey: `trackops-example:${service}:migrate`,
    },
    sqlMigrations(directory),
  );
}

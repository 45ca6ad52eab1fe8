/**
 * `trackops-cdc-codegen`: writes the typed-table declarations of a database's tables.
 *
 *   trackops-cdc-codegen --database-url postgres://… [--schema public] [--table t …]
 *                        [--toastable] [--out file.ts]
 *
 * Exit codes: 0 done, 1 failed (database, missing table), 2 bad usage.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { generateTables } from './codegen.js';
import type { Queryable } from '@trackops/core';

const program = 'trackops-cdc-codegen';
const pgModule = 'pg';

const usage = `usage: ${program} --database-url URL [--schema NAME] [--table NAME …] [--toastable] [--out FILE]

Reads information_schema and writes one defineTable(...) per table (stdout unless --out).
  --database-url URL  the database (default: $DATABASE_URL)
  --schema NAME       the schema (default: public)
  --table NAME        only this table; repeat for more (default: every table of the schema)
  --toastable         declare TOAST-able columns column.toastable(...)
  --out FILE          write to FILE instead of stdout
`;

/** Where the CLI writes and what it reads; `process` fits. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
}

interface PgClient extends Queryable {
  connect(): Promise<unknown>;
  end(): Promise<void>;
}

type PgModule = { Client: new (options: { connectionString: string }) => PgClient };

/**
 * Imports `pg`, which the CLI needs and the library does not. Exported for tests.
 *
 * @param importer - How to import it.
 */
export async function loadPg(
  // A specifier in a variable: pg is not a dependency of the library, only of this CLI.
  importer: () => Promise<{ default: PgModule }> = () =>
    import(pgModule) as Promise<{ default: PgModule }>,
): Promise<PgModule> {
  try {
    return (await importer()).default;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
      throw new Error(
        `the pg package is not installed; install pg next to @trackops/cdc (npm install pg) to use ${program}`,
      );
    throw error;
  }
}

/**
 * Runs the CLI.
 *
 * @param args - The arguments after the program name.
 * @param io - Output streams and environment.
 * @returns The exit code: 0 done, 1 failed, 2 bad usage.
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: [...args],
      options: {
        'database-url': { type: 'string' },
        schema: { type: 'string', default: 'public' },
        table: { type: 'string', multiple: true },
        toastable: { type: 'boolean', default: false },
        out: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    io.stderr.write(`${program}: ${(error as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(usage);
    return 0;
  }
  const url = values['database-url'] ?? io.env['DATABASE_URL'];
  if (url === undefined || url === '') {
    io.stderr.write(`${program}: --database-url (or DATABASE_URL) is required\n${usage}`);
    return 2;
  }
  let client: PgClient | undefined;
  try {
    const pg = await loadPg();
    client = new pg.Client({ connectionString: url });
    await client.connect();
    const source = await generateTables(client, {
      schema: values.schema,
      ...(values.table === undefined ? {} : { tables: values.table }),
      toastable: values.toastable,
    });
    if (values.out === undefined) io.stdout.write(source);
    else {
      await writeFile(values.out, source);
      io.stderr.write(`${program}: wrote ${values.out}\n`);
    }
    return 0;
  } catch (error) {
    io.stderr.write(`${program}: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await client?.end().catch(() => undefined);
  }
}

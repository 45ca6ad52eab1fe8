/**
 * The `trackops-outbox` command line: operations on an outbox table, each a thin shell around
 * the package's own functions (`migrate`, `outboxStatus`, `listDead`, `replayDead`,
 * `purgeDead`, `purgePublished`). Everything is in {@link runCli}, which takes its arguments,
 * streams and environment as parameters, so tests run it in-process; `bin.ts` only wires it to
 * `process`.
 *
 * Exit codes: 0 done, 1 failed (database unreachable, an id matched nothing …), 2 usage error
 * (nothing was run).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { ConnectionPool } from '@trackops/core';
import {
  CliFailure,
  databaseUrl,
  identifier,
  missingDatabase,
  parseDuration,
  positiveInteger,
  program,
  UsageError,
} from './cliArgs.js';
import { describeFailure, formatDead, formatStatus, plural } from './cliFormat.js';
import type pg from 'pg';
import type { Pool } from 'pg';
import { migrate } from './migrations.js';
import { listDead, outboxStatus, purgeDead, purgePublished, replayDead } from './operations.js';
import { outboxNames, type OutboxTableOptions } from './table.js';

/** Where the CLI writes and what it reads from its environment (`process` fits). */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Readonly<Record<string, string | undefined>>;
}

// Every option of every command; which command accepts which is checked after parsing, so an
// unknown flag is reported as such and a misplaced one names the command it does not fit.
const options = {
  'database-url': { type: 'string' },
  schema: { type: 'string' },
  table: { type: 'string' },
  json: { type: 'boolean' },
  limit: { type: 'string' },
  id: { type: 'string', multiple: true },
  all: { type: 'boolean' },
  'older-than': { type: 'string' },
  'batch-size': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

type OptionName = keyof typeof options;
type Values = ReturnType<typeof parse>['values'];

const parse = (args: string[]) =>
  parseArgs({ args, options, allowPositionals: true, strict: true });

const globalOptions: readonly OptionName[] = ['database-url', 'schema', 'table', 'help'];

interface Command {
  /** The extra options the command accepts, besides the global ones. */
  options: readonly OptionName[];
  summary: string;
  usage: string;
  run(context: Context): Promise<number>;
}

interface Context {
  values: Values;
  io: CliIo;
  table: OutboxTableOptions;
  /** The table as the user knows it, `schema.table`, for messages. */
  tableName: string;
  pool: () => Promise<ConnectionPool>;
}

const globalHelp = `Global options:
  --database-url <url>  PostgreSQL URL (default: the DATABASE_URL environment variable)
  --schema <name>       schema of the outbox table (default: public)
  --table <name>        name of the outbox table (default: outbox)
  -h, --help            show help`;

const commands: Record<string, Command> = {
  migrate: {
    options: [],
    summary: 'create or upgrade the outbox table',
    usage: `Usage: ${program} migrate [global options]

Creates the outbox table (and its schema) or applies the migrations it lacks. Idempotent and
safe to run from several processes at once.`,
    async run({ io, table, tableName, pool }) {
      const result = await migrate(await pool(), table);
      io.stdout.write(
        result.applied.length > 0
          ? `Migrated ${tableName} to version ${result.version} (applied ${result.applied.join(', ')}).\n`
          : `${tableName} is up to date (version ${result.version}).\n`,
      );
      return 0;
    },
  },
  status: {
    options: ['json'],
    summary: 'backlog, oldest unpublished age, retrying, dead and published rows',
    usage: `Usage: ${program} status [--json] [global options]

Counts the outbox's rows by state. The age of the oldest unpublished row is the relay's lag.

Options:
  --json                print a JSON object (ages in milliseconds)`,
    async run({ values, io, table, tableName, pool }) {
      const status = await outboxStatus(await pool(), { table });
      if (values.json) {
        io.stdout.write(`${JSON.stringify({ table: tableName, ...status })}\n`);
      } else {
        io.stdout.write(formatStatus(tableName, status));
      }
      return 0;
    },
  },
  'dead list': {
    options: ['limit', 'json'],
    summary: 'list dead rows, oldest first',
    usage: `Usage: ${program} dead list [--limit N] [--json] [global options]

Lists dead rows (they failed the relay's maxAttempts times), oldest first, with their last error.

Options:
  --limit <n>           at most this many rows (default: 100)
  --json                print a JSON array`,
    async run({ values, io, table, pool }) {
      const limit = values.limit === undefined ? 100 : positiveInteger(values.limit, '--limit');
      const dead = await listDead(await pool(), { table, limit });
      io.stdout.write(values.json ? `${JSON.stringify(dead)}\n` : formatDead(dead));
      return 0;
    },
  },
  'dead replay': {
    options: ['id', 'all'],
    summary: 'make dead rows live again so the relay publishes them',
    usage: `Usage: ${program} dead replay (--id <id> ... | --all) [global options]

Makes dead rows live again (attempts reset); the relay publishes them in order, before the
later events of their aggregates that they were holding back.

Options:
  --id <id>             a dead row to replay (repeatable)
  --all                 replay every dead row`,
    run: (context) => deadAction(context, 'replay'),
  },
  'dead purge': {
    options: ['id', 'all'],
    summary: 'delete dead rows for good',
    usage: `Usage: ${program} dead purge (--id <id> ... | --all) [global options]

Deletes dead rows for good; the later events of their aggregates then flow.

Options:
  --id <id>             a dead row to delete (repeatable)
  --all                 delete every dead row`,
    run: (context) => deadAction(context, 'purge'),
  },
  'purge-published': {
    options: ['older-than', 'batch-size'],
    summary: 'delete published rows older than a duration',
    usage: `Usage: ${program} purge-published --older-than <duration> [--batch-size N] [global options]

Deletes rows published longer ago than the duration (the relay's retention cleanup, on demand),
in batches so no lock is held for long. Unpublished and dead rows are never touched.

Options:
  --older-than <d>      e.g. 7d, 12h, 30m, 90s, 1d12h (units: w, d, h, m, s, ms)
  --batch-size <n>      rows per delete statement (default: 1000)`,
    async run({ values, io, table, tableName, pool }) {
      if (values['older-than'] === undefined)
        throw new UsageError(
          'purge-published needs --older-than <duration>, e.g. --older-than 7d',
          'purge-published',
        );
      const olderThanMs = parseDuration(values['older-than'], '--older-than');
      const batchSize =
        values['batch-size'] === undefined
          ? undefined
          : positiveInteger(values['batch-size'], '--batch-size');
      const deleted = await purgePublished(await pool(), { olderThanMs, batchSize, table });
      io.stdout.write(
        `Deleted ${plural(deleted, 'published row')} older than ${values['older-than']} from ${tableName}.\n`,
      );
      return 0;
    },
  },
};

function mainHelp(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length)) + 2;
  const list = Object.entries(commands)
    .map(([name, command]) => `  ${name.padEnd(width)}${command.summary}`)
    .join('\n');
  return `Usage: ${program} <command> [options]

Operates an outbox table of @trackops/outbox.

Commands:
${list}

${globalHelp}
  --version             print the version

Run '${program} <command> --help' for a command's options.
`;
}

/**
 * Runs the CLI with `args` (the arguments after the program name) and resolves to the exit
 * code: 0 done, 1 failed, 2 usage error. Never throws and never exits the process; a pool it
 * opened is always ended before it resolves.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(process.argv.slice(2), process);
 * ```
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  let pool: Pool | undefined;
  try {
    return await dispatch([...args], io, async (url) => {
      const pg = await loadPg();
      pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 10_000 });
      // An idle connection dropped by the server must end in a message, not a crash.
      pool.on('error', () => undefined);
      return pool;
    });
  } catch (error) {
    if (error instanceof UsageError) {
      const hint = error.command ? `${program} ${error.command} --help` : `${program} --help`;
      io.stderr.write(`${program}: ${error.message}\nRun '${hint}' for usage.\n`);
      return 2;
    }
    io.stderr.write(`${program}: ${describeFailure(error)}\n`);
    return 1;
  } finally {
    await pool?.end().catch(() => undefined);
  }
}

async function dispatch(
  args: string[],
  io: CliIo,
  openPool: (url: string) => Promise<ConnectionPool>,
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    // parseArgs' messages name the flag (`Unknown option '--limt'`); keep them, minus the
    // advice about positionals that starts with "To specify".
    throw new UsageError((error as Error).message.replace(/\s*To specify a positional.*$/s, ''));
  }
  const { values, positionals } = parsed;
  if (values.version && positionals.length === 0) {
    io.stdout.write(`${await packageVersion()}\n`);
    return 0;
  }
  if (positionals.length === 0 || positionals[0] === 'help') {
    if (values.help || positionals[0] === 'help') {
      const topic = positionals.slice(1).join(' ');
      const command = commands[topic];
      io.stdout.write(
        command
          ? `${command.usage}\n\n${globalHelp}\n`
          : topic === 'dead'
            ? deadHelp()
            : mainHelp(),
      );
      return 0;
    }
    io.stderr.write(mainHelp());
    return 2;
  }

  const [first, second] = positionals;
  const name = first === 'dead' ? (second === undefined ? 'dead' : `dead ${second}`) : first!;
  const command = commands[name];
  if (!command) {
    if (first === 'dead') {
      if (values.help && second === undefined) {
        io.stdout.write(deadHelp());
        return 0;
      }
      throw new UsageError(
        second === undefined
          ? "'dead' needs a subcommand: list, replay or purge"
          : `unknown subcommand 'dead ${second}' (expected list, replay or purge)`,
        second === undefined ? 'dead' : undefined,
      );
    }
    throw new UsageError(`unknown command '${first}'`);
  }
  try {
    return await runCommand(
      name,
      command,
      positionals.slice(first === 'dead' ? 2 : 1),
      values,
      io,
      openPool,
    );
  } catch (error) {
    if (error instanceof UsageError) error.command ??= name;
    throw error;
  }
}

async function runCommand(
  name: string,
  command: Command,
  extra: readonly string[],
  values: Values,
  io: CliIo,
  openPool: (url: string) => Promise<ConnectionPool>,
): Promise<number> {
  if (extra.length > 0)
    throw new UsageError(`unexpected argument '${extra[0]}' for '${name}'`, name);
  if (values.help) {
    io.stdout.write(`${command.usage}\n\n${globalHelp}\n`);
    return 0;
  }
  for (const option of Object.keys(values) as OptionName[]) {
    if (!globalOptions.includes(option) && !command.options.includes(option))
      throw new UsageError(`option --${option} does not apply to '${name}'`, name);
  }

  const table = {
    schema: identifier(values.schema, '--schema') ?? 'public',
    table: identifier(values.table, '--table') ?? 'outbox',
  };
  // The history table name derives from --table; check it now so its error is a usage error.
  try {
    outboxNames(table);
  } catch (error) {
    throw new UsageError(`--table: ${(error as Error).message}`, name);
  }
  const url = databaseUrl(values['database-url'], io.env);
  let pool: Promise<ConnectionPool> | undefined;
  return command.run({
    values,
    io,
    table,
    tableName: `${table.schema}.${table.table}`,
    pool: () => (pool ??= url ? openPool(url) : Promise.reject(missingDatabase())),
  });
}

function deadHelp(): string {
  const entries = Object.entries(commands).filter(([name]) => name.startsWith('dead '));
  return `Usage: ${program} dead <list|replay|purge> [options]

Commands:
${entries.map(([name, command]) => `  ${name.padEnd(14)}${command.summary}`).join('\n')}

Run '${program} dead <command> --help' for a command's options.
`;
}

async function deadAction(
  { values, io, table, tableName, pool }: Context,
  action: 'replay' | 'purge',
): Promise<number> {
  const name = `dead ${action}`;
  const ids = values.id ?? [];
  if (ids.length > 0 && values.all)
    throw new UsageError('give either --id or --all, not both', name);
  if (ids.length === 0 && !values.all)
    throw new UsageError(
      `refusing to ${action} every dead row without --all; pass --id <id> (repeatable) for specific rows, or --all`,
      name,
    );
  for (const id of ids) {
    if (!uuidPattern.test(id)) throw new UsageError(`--id must be a UUID (got '${id}')`, name);
  }
  const db = await pool();
  const unique = [...new Set(ids.map((id) => id.toLowerCase()))];
  const count =
    action === 'replay'
      ? await replayDead(db, { table, ids: values.all ? undefined : unique })
      : await purgeDead(db, { table, ids: values.all ? undefined : unique });
  const verb = action === 'replay' ? 'Replayed' : 'Purged';
  io.stdout.write(`${verb} ${plural(count, 'dead row')} of ${tableName}.\n`);
  if (!values.all && count < unique.length) {
    io.stderr.write(
      `${program}: ${plural(unique.length - count, 'given id')} matched no dead row of ${tableName} (already live, published, purged, or never there).\n`,
    );
    return 1;
  }
  return 0;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** node-postgres as `import pg from 'pg'` gives it (its CommonJS `module.exports`). */
type Pg = typeof pg;

/**
 * Imports `pg`, an optional peer dependency of the library that the CLI cannot run without.
 * Exported for tests, which pass an importer that fails.
 */
export async function loadPg(
  importer: () => Promise<{ default: Pg }> = () => import('pg'),
): Promise<Pg> {
  try {
    return (await importer()).default;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
      throw new CliFailure(
        `the pg package is not installed; install pg next to @trackops/outbox (npm install pg) to use ${program}`,
      );
    throw error;
  }
}

async function packageVersion(): Promise<string> {
  // package.json is one level up from both src/cli.ts and the bundled dist/bin.js; reading it
  // keeps the bin from bundling the whole library (index.ts) for one constant.
  const text = await readFile(new URL('../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

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
import { isTrackOpsError, quoteIdentifier, type ConnectionPool } from '@trackops/core';
import type pg from 'pg';
import type { Pool } from 'pg';
import { migrate } from './migrations.js';
import {
  listDead,
  outboxStatus,
  purgeDead,
  purgePublished,
  replayDead,
  type DeadEvent,
  type OutboxStatus,
} from './operations.js';
import { outboxNames, type OutboxTableOptions } from './table.js';

/** Where the CLI writes and what it reads from its environment (`process` fits). */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Readonly<Record<string, string | undefined>>;
}

const program = 'trackops-outbox';

/** A mistake in the command line: reported with a pointer to `--help`, exit code 2. */
class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose `--help` to point to; filled in by `dispatch` when known. */
    public command?: string,
  ) {
    super(message);
  }
}

/** A failure worth a plain message rather than a stack (exit code 1). */
class CliFailure extends Error {}

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

function identifier(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    quoteIdentifier(value, flag);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return value;
}

function databaseUrl(flag: string | undefined, env: CliIo['env']): string | undefined {
  const [url, source] =
    flag !== undefined ? [flag, '--database-url'] : [env['DATABASE_URL'], 'DATABASE_URL'];
  if (url === undefined || url === '') return undefined;
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    // Not echoed: a URL may carry a password.
    throw new UsageError(`${source} is not a URL (expected postgres://user:password@host/db)`);
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:')
    throw new UsageError(
      `${source} must be a postgres:// or postgresql:// URL (got ${protocol}//…)`,
    );
  return url;
}

const missingDatabase = (): UsageError =>
  new UsageError('no database given: pass --database-url <url> or set DATABASE_URL');

function positiveInteger(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text)))
    throw new UsageError(`${flag} must be a positive integer (got '${text}')`);
  return Number(text);
}

const units: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `7d`, `12h`, `30m`, `1d12h` → milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d|w)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text)
    throw new UsageError(
      `${flag} must be a duration such as 7d, 12h, 30m or 1d12h (got '${text}')`,
    );
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * units[unit!]!, 0);
}

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

function describeFailure(error: unknown): string {
  if (error instanceof CliFailure) return error.message;
  if (isTrackOpsError(error)) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause} (${error.code})`;
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    // Node's dual-stack connect fails with an AggregateError whose own message is empty.
    const message =
      error instanceof AggregateError && error.errors.length > 0
        ? error.errors.map((inner: Error) => inner.message).join('; ')
        : error.message;
    // 42P01 undefined_table: the commonest first-run mistake.
    if (code === '42P01')
      return `${message} — run '${program} migrate' first, or check --schema/--table`;
    if (
      code === 'ECONNREFUSED' ||
      code === 'ENOTFOUND' ||
      code === 'ETIMEDOUT' ||
      code === '28P01' ||
      code === '3D000' ||
      /timeout exceeded when trying to connect/i.test(message)
    )
      return `cannot connect to PostgreSQL: ${message}`;
    return typeof code === 'string' ? `${message} (${code})` : message;
  }
  return String(error);
}

const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  let seconds = Math.floor(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
  }
  if (seconds > 0 || parts.length === 0) parts.push(`${seconds}s`);
  return parts.slice(0, 2).join(' ');
}

function formatStatus(tableName: string, status: OutboxStatus): string {
  return table([
    ['table', tableName],
    ['backlog', String(status.backlog)],
    [
      'oldest unpublished',
      status.backlog > 0 ? formatDuration(status.oldestUnpublishedAgeMs) : '-',
    ],
    ['retrying', String(status.retrying)],
    ['dead', String(status.dead)],
    ['published', String(status.published)],
  ]);
}

function formatDead(dead: readonly DeadEvent[]): string {
  if (dead.length === 0) return 'No dead rows.\n';
  const firstLine = (text: string | null): string => {
    const line = (text ?? '').split('\n')[0] ?? '';
    return line.length > 80 ? `${line.slice(0, 79)}…` : line;
  };
  return table([
    ['ID', 'AGGREGATE', 'TYPE', 'ATTEMPTS', 'DEAD AT', 'LAST ERROR'],
    ...dead.map((row) => [
      row.id,
      `${row.aggregateType}/${row.aggregateId}`,
      row.type,
      String(row.attempts),
      row.deadAt.toISOString(),
      firstLine(row.lastError),
    ]),
  ]);
}

/** Left-aligned columns, two spaces apart; the last column is not padded. */
function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  );
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join('  '),
    )
    .join('\n')
    .concat('\n');
}

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, stackEndpoints, type TestDatabase } from '@trackops/testkit';
import { createOutbox } from '@trackops/outbox';
import { loadPg, runCli } from '../../src/cli.js';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with its own streams and environment. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
  });
  return { code, stdout, stderr };
}

describe('the trackops-outbox CLI', () => {
  let db: TestDatabase;
  let url: string[];
  const outbox = createOutbox();

  beforeAll(async () => {
    db = await createTestDatabase(stackEndpoints().DATABASE_URL, 'outbox_cli');
    url = ['--database-url', db.url];
  });
  afterAll(() => db.drop());

  /** A dead row written directly, as the relay leaves one after maxAttempts. */
  const insertDead = async (aggregateId: string): Promise<string> => {
    const { rows } = await db.pool.query<{ id: string }>(
      `insert into outbox (id, aggregatetype, aggregateid, type, payload, attempts, last_error, dead_at)
       values (gen_random_uuid(), 'parcel', $1, 'PARCEL_SHIPPED', '{}', 10, 'MESSAGE_TOO_LARGE: too big', now())
       returning id::text`,
      [aggregateId],
    );
    return rows[0]!.id;
  };
  const row = async (id: string) =>
    (
      await db.pool.query<{ dead_at: Date | null; attempts: number }>(
        'select dead_at, attempts from outbox where id = $1',
        [id],
      )
    ).rows[0];

  it('migrates the table named by --schema/--table, or by default public.outbox from DATABASE_URL, idempotently', async () => {
    const named = await cli(['migrate', ...url, '--schema', 'ops', '--table', 'events']);
    expect(named).toMatchObject({ code: 0, stderr: '' });
    expect(named.stdout).toBe('Migrated ops.events to version 2 (applied 1, 2).\n');

    const fromEnv = await cli(['migrate'], { DATABASE_URL: db.url });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stdout).toMatch(/Migrated public\.outbox to version 2/);
    expect((await cli(['migrate', ...url])).stdout).toBe(
      'public.outbox is up to date (version 2).\n',
    );

    const { rows } = await db.pool.query<{ name: string }>(
      "select table_schema || '.' || table_name as name from information_schema.tables where table_name in ('events', 'outbox') order by 1",
    );
    expect(rows.map((r) => r.name)).toEqual(['ops.events', 'public.outbox']);
  });

  it('status reports backlog, the oldest unpublished age and dead rows, as a table and as JSON', async () => {
    await outbox.enqueue(db.pool, [
      { aggregateType: 'parcel', aggregateId: 's-1', type: 'T', payload: {} },
      { aggregateType: 'parcel', aggregateId: 's-2', type: 'T', payload: {} },
    ]);
    await db.pool.query(
      "update outbox set created_at = now() - interval '2 hours 5 minutes' where aggregateid = 's-1'",
    );
    const deadId = await insertDead('s-dead');

    const json = await cli(['status', '--json', ...url]);
    expect(json.code).toBe(0);
    const status = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(status).toMatchObject({
      table: 'public.outbox',
      backlog: 2,
      retrying: 0,
      dead: 1,
      published: 0,
    });
    expect(status['oldestUnpublishedAgeMs']).toBeGreaterThanOrEqual(7_500_000);

    const human = await cli(['status', ...url]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^table +public\.outbox$/m);
    expect(human.stdout).toMatch(/^backlog +2$/m);
    expect(human.stdout).toMatch(/^oldest unpublished +2h 5m$/m);
    expect(human.stdout).toMatch(/^dead +1$/m);

    await db.pool.query('delete from outbox where id = $1', [deadId]);
  });

  it('dead list shows dead rows with their last error, and --limit caps them', async () => {
    const first = await insertDead('l-1');
    const second = await insertDead('l-2');

    const json = await cli(['dead', 'list', '--json', ...url]);
    expect(json.code).toBe(0);
    const dead = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(dead.map((d) => d['id'])).toEqual([first, second]);
    expect(dead[0]).toMatchObject({
      aggregateType: 'parcel',
      aggregateId: 'l-1',
      type: 'PARCEL_SHIPPED',
      attempts: 10,
      lastError: 'MESSAGE_TOO_LARGE: too big',
    });

    const limited = await cli(['dead', 'list', '--limit', '1', '--json', ...url]);
    expect((JSON.parse(limited.stdout) as unknown[]).length).toBe(1);

    const human = await cli(['dead', 'list', ...url]);
    expect(human.stdout).toMatch(/^ID +AGGREGATE +TYPE +ATTEMPTS +DEAD AT +LAST ERROR$/m);
    expect(human.stdout).toContain(`${first}  parcel/l-1`);
    expect(human.stdout).toContain('MESSAGE_TOO_LARGE: too big');

    const bad = await cli(['dead', 'list', '--limit', 'ten', ...url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--limit must be a positive integer \(got 'ten'\)/);

    await db.pool.query('delete from outbox where id = any($1::uuid[])', [[first, second]]);
  });

  it('dead replay refuses to replay everything without --all, and --id makes just that row live', async () => {
    const target = await insertDead('r-1');
    const other = await insertDead('r-2');

    const refused = await cli(['dead', 'replay', ...url]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refusing to replay every dead row without --all/);
    expect(refused.stdout).toBe('');
    expect((await row(target))?.dead_at).not.toBeNull();
    expect((await row(other))?.dead_at).not.toBeNull();

    const replayed = await cli(['dead', 'replay', '--id', target, ...url]);
    expect(replayed).toMatchObject({ code: 0, stdout: 'Replayed 1 dead row of public.outbox.\n' });
    expect(await row(target)).toEqual({ dead_at: null, attempts: 0 });
    expect((await row(other))?.dead_at).not.toBeNull();

    // Again: the row is live now, so the id matches no dead row — a failure, said so.
    const again = await cli(['dead', 'replay', '--id', target, ...url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/1 given id matched no dead row/);

    const both = await cli(['dead', 'replay', '--id', other, '--all', ...url]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/either --id or --all, not both/);
    const notUuid = await cli(['dead', 'replay', '--id', 'nope', ...url]);
    expect(notUuid.code).toBe(2);
    expect(notUuid.stderr).toMatch(/--id must be a UUID \(got 'nope'\)/);
    expect((await row(other))?.dead_at).not.toBeNull();

    const all = await cli(['dead', 'replay', '--all', ...url]);
    expect(all).toMatchObject({ code: 0, stdout: 'Replayed 1 dead row of public.outbox.\n' });
    expect(await row(other)).toEqual({ dead_at: null, attempts: 0 });

    await db.pool.query('delete from outbox where id = any($1::uuid[])', [[target, other]]);
  });

  it('dead purge deletes only the named dead rows, or all dead rows with --all, never live ones', async () => {
    const first = await insertDead('p-1');
    const second = await insertDead('p-2');
    const third = await insertDead('p-3');
    const [live] = await outbox.enqueue(db.pool, {
      aggregateType: 'parcel',
      aggregateId: 'p-live',
      type: 'T',
      payload: {},
    });

    const refused = await cli(['dead', 'purge', ...url]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refusing to purge every dead row without --all/);

    const named = await cli(['dead', 'purge', '--id', first, '--id', second, ...url]);
    expect(named).toMatchObject({ code: 0, stdout: 'Purged 2 dead rows of public.outbox.\n' });
    expect(await row(first)).toBeUndefined();
    expect(await row(second)).toBeUndefined();
    expect(await row(third)).toBeDefined();

    // A live row's id is not a dead row's: nothing is deleted and the exit code says so.
    const notDead = await cli(['dead', 'purge', '--id', live!, ...url]);
    expect(notDead.code).toBe(1);
    expect(await row(live!)).toBeDefined();

    const all = await cli(['dead', 'purge', '--all', ...url]);
    expect(all).toMatchObject({ code: 0, stdout: 'Purged 1 dead row of public.outbox.\n' });
    expect(await row(third)).toBeUndefined();
    expect(await row(live!)).toBeDefined();
  });

  it('purge-published deletes published rows older than --older-than, and only those', async () => {
    const ids = await outbox.enqueue(db.pool, [
      { aggregateType: 'parcel', aggregateId: 'pp', type: 'T', payload: { n: 1 } },
      { aggregateType: 'parcel', aggregateId: 'pp', type: 'T', payload: { n: 2 } },
      { aggregateType: 'parcel', aggregateId: 'pp', type: 'T', payload: { n: 3 } },
    ]);
    const [old, recent, unpublished] = ids as [string, string, string];
    await db.pool.query(
      "update outbox set published_at = now() - interval '3 days' where id = $1",
      [old],
    );
    await db.pool.query(
      "update outbox set published_at = now() - interval '1 hour' where id = $1",
      [recent],
    );
    await db.pool.query("update outbox set created_at = now() - interval '9 days' where id = $1", [
      unpublished,
    ]);

    const purged = await cli([
      'purge-published',
      '--older-than',
      '2d',
      '--batch-size',
      '1',
      ...url,
    ]);
    expect(purged).toMatchObject({
      code: 0,
      stdout: 'Deleted 1 published row older than 2d from public.outbox.\n',
    });
    expect(await row(old)).toBeUndefined();
    expect(await row(recent)).toBeDefined();
    expect(await row(unpublished)).toBeDefined();

    const missing = await cli(['purge-published', ...url]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/needs --older-than <duration>/);
    const bad = await cli(['purge-published', '--older-than', '7 days', ...url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--older-than must be a duration such as 7d/);
    expect(bad.stderr).toMatch(/trackops-outbox purge-published --help/);
    expect(await row(recent)).toBeDefined();
  });

  it('reports usage errors with exit code 2 naming the flag, and failures with exit code 1', async () => {
    const noDatabase = await cli(['status']);
    expect(noDatabase.code).toBe(2);
    expect(noDatabase.stderr).toMatch(/pass --database-url <url> or set DATABASE_URL/);

    const unknown = await cli(['status', '--limt', '3', ...url]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--limt'/);

    const misplaced = await cli(['status', '--all', ...url]);
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toMatch(/option --all does not apply to 'status'/);

    const badTable = await cli(['status', '--table', 'out-box', ...url]);
    expect(badTable.code).toBe(2);
    expect(badTable.stderr).toMatch(/--table must be 1-63 letters/);

    const badUrl = await cli(['status'], { DATABASE_URL: 'mysql://localhost/db' });
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/DATABASE_URL must be a postgres:\/\//);

    expect((await cli(['frobnicate', ...url])).stderr).toMatch(/unknown command 'frobnicate'/);
    expect((await cli([])).code).toBe(2);

    const noTable = await cli(['status', '--table', 'nosuch', ...url]);
    expect(noTable.code).toBe(1);
    expect(noTable.stderr).toMatch(/nosuch" does not exist .*run 'trackops-outbox migrate' first/);

    const unreachable = await cli(['status', '--database-url', 'postgres://nobody@127.0.0.1:1/x']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot connect to PostgreSQL: .*ECONNREFUSED/);
  });

  it('prints help per command on stdout with exit code 0, without touching the database', async () => {
    const main = await cli(['--help']);
    expect(main.code).toBe(0);
    for (const command of ['migrate', 'status', 'dead list', 'dead replay', 'dead purge'])
      expect(main.stdout).toContain(`  ${command} `);

    const replay = await cli(['dead', 'replay', '--help']);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(
      /^Usage: trackops-outbox dead replay \(--id <id> \.\.\. \| --all\)/,
    );
    expect(replay.stdout).toContain('--database-url <url>');

    expect((await cli(['purge-published', '-h'])).stdout).toMatch(/--older-than <d> +e\.g\. 7d/);
    expect((await cli(['help', 'status'])).stdout).toMatch(/^Usage: trackops-outbox status/);
    expect((await cli(['dead', '--help'])).stdout).toMatch(/dead <list\|replay\|purge>/);
  });

  it('says to install pg when it cannot be imported', async () => {
    const missing = Object.assign(new Error("Cannot find package 'pg'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    await expect(loadPg(() => Promise.reject(missing))).rejects.toThrow(
      /the pg package is not installed; install pg/,
    );
  });

  it('runs as a process through its bin entry, with the exit code as the process exit code', async () => {
    const spawnBin = (args: string[]) =>
      new Promise<Run>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          ['--conditions=@trackops/source', '--import', 'tsx', 'src/bin.ts', ...args],
          { cwd: packageDir, env: { ...process.env, DATABASE_URL: '' } },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.once('error', reject);
        child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      });

    const [status, usage] = await Promise.all([
      spawnBin(['status', '--json', '--database-url', db.url]),
      spawnBin(['dead', 'purge', '--database-url', db.url]),
    ]);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ table: 'public.outbox', dead: 0 });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/refusing to purge every dead row without --all/);
  });
});

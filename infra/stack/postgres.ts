import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { checkoutId, host, ports, repoRoot, stackDir, versions } from './config.js';
import { Server } from './component.js';
import { installPostgresBinaries } from './install.js';
import { livePid, run } from './process.js';

const binDir = `/usr/lib/postgresql/${versions.postgresMajor}/bin`;
const runAsUser = 'postgres';
const asRoot = process.getuid?.() === 0;

/** PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user. */
function asServerUser(command: string, args: readonly string[]): string {
  return asRoot ? run('runuser', ['-u', runAsUser, '--', command, ...args]) : run(command, args);
}

/** Hands a file or folder root created to the server user. */
function giveToServerUser(file: string): void {
  if (!asRoot) return;
  chownSync(
    file,
    Number(run('id', ['-u', runAsUser]).trim()),
    Number(run('id', ['-g', runAsUser]).trim()),
  );
}

/** True when the server user can reach `dir` (it cannot inside a 0700 home directory). */
function reachableByServerUser(dir: string): boolean {
  return (
    !asRoot ||
    spawnSync('runuser', ['-u', runAsUser, '--', 'test', '-x', dir], { stdio: 'ignore' }).status ===
      0
  );
}

export class Postgres extends Server {
  readonly name = 'PostgreSQL';
  readonly envVar = 'DATABASE_URL' as const;
  readonly port = ports.postgres;
  protected readonly startTimeoutMs = 30_000;
  /** Where the cluster lives: `.stack/postgres`, unless the server user cannot reach it. */
  readonly baseDir: string;

  constructor() {
    super('postgres');
    mkdirSync(stackDir, { recursive: true });
    // The server user must traverse every parent of its data directory; when the checkout
    // sits somewhere it cannot (a private home), keep the cluster outside it instead.
    this.baseDir = reachableByServerUser(stackDir)
      ? this.dir
      : `/var/tmp/trackops-${checkoutId}/postgres`;
  }

  override get logFile(): string {
    return path.join(this.baseDir, 'postgres.log');
  }

  private get dataDir(): string {
    return path.join(this.baseDir, 'data');
  }

  protected ownEndpoint(): string {
    return `postgres://postgres@${host}:${this.port}/postgres`;
  }

  override pid(): number | undefined {
    return livePid(path.join(this.dataDir, 'postmaster.pid'));
  }

  protected start(): void {
    if (!existsSync(path.join(binDir, 'initdb'))) installPostgresBinaries(versions.postgresMajor);
    if (!existsSync(path.join(this.dataDir, 'PG_VERSION'))) this.initCluster();
    this.writeSettings();
    // -w: pg_ctl returns once the server accepts connections (or fails, with the log).
    asServerUser(path.join(binDir, 'pg_ctl'), [
      '-D',
      this.dataDir,
      '-l',
      this.logFile,
      '-w',
      '-t',
      '60',
      'start',
    ]);
  }

  override down(): Promise<void> {
    // "fast" rolls back open transactions and disconnects clients: a test stack has no
    // sessions worth waiting for. A fast stop still waits for each logical walsender to hand
    // its client (Debezium) the WAL up to the shutdown checkpoint, and a connector that does
    // not answer can hold it indefinitely: after 20 s, stop "immediate" (crash recovery at the
    // next start, which replays the WAL — nothing committed is lost).
    if (!this.external() && this.pid()) {
      const pgCtl = path.join(binDir, 'pg_ctl');
      try {
        asServerUser(pgCtl, ['-D', this.dataDir, '-m', 'fast', '-w', '-t', '20', 'stop']);
      } catch {
        asServerUser(pgCtl, ['-D', this.dataDir, '-m', 'immediate', '-w', '-t', '20', 'stop']);
      }
    }
    return Promise.resolve();
  }

  protected probe(): Promise<unknown> {
    return this.query('select 1');
  }

  protected async inspect(): Promise<{ healthy: boolean; version: string; detail: string }> {
    const [row] = await this.query(
      "select current_setting('server_version') as version, current_setting('wal_level') as wal_level",
    );
    const logical = row?.['wal_level'] === 'logical';
    return {
      healthy: logical,
      version: String(row?.['version']),
      detail: logical
        ? `wal_level=logical, data ${this.dataDir}`
        : `wal_level=${String(row?.['wal_level'])}: Debezium needs logical`,
    };
  }

  private async query(sql: string): Promise<Array<Record<string, unknown>>> {
    const client = new pg.Client({
      connectionString: this.endpoint(),
      connectionTimeoutMillis: 2000,
    });
    await client.connect();
    try {
      return (await client.query<Record<string, unknown>>(sql)).rows;
    } finally {
      await client.end();
    }
  }

  private initCluster(): void {
    mkdirSync(this.dataDir, { recursive: true });
    giveToServerUser(this.baseDir);
    giveToServerUser(this.dataDir);
    chmodSync(this.dataDir, 0o700);
    console.log(`[stack] initdb ${this.dataDir}`);
    // trust is safe here only because listen_addresses keeps the cluster on loopback.
    asServerUser(path.join(binDir, 'initdb'), [
      '-D',
      this.dataDir,
      '-U',
      'postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C.UTF-8',
    ]);
    appendFileSync(
      path.join(this.dataDir, 'postgresql.conf'),
      "\ninclude_if_exists = 'trackops.conf'\n",
    );
  }

  /** Rewritten at every start so changed settings in infra/config apply. */
  private writeSettings(): void {
    const shared = readFileSync(path.join(repoRoot, 'infra', 'config', 'postgresql.conf'), 'utf8');
    const target = path.join(this.dataDir, 'trackops.conf');
    writeFileSync(
      target,
      `${shared}\nlisten_addresses = '${host}'\nport = ${this.port}\nunix_socket_directories = ''\n`,
    );
    giveToServerUser(target);
  }
}

import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
  appendFileSync,
} from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { checkoutId, host, ports, repoRoot, stackDir, versions } from './config.js';
import { baseStatus, notAvailable, type Component, type ComponentStatus } from './component.js';
import { installPostgresBinaries } from './install.js';
import { livePid, run, waitUntil } from './process.js';

const binDir = `/usr/lib/postgresql/${versions.postgresMajor}/bin`;
const runAsUser = 'postgres';

/** PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user. */
function asServerUser(command: string, args: readonly string[]): string {
  if (process.getuid?.() !== 0) return run(command, args);
  return run('runuser', ['-u', runAsUser, '--', command, ...args]);
}

/** uid and gid of the server user, to hand it the files root writes for it. */
function serverUserIds(): { uid: number; gid: number } {
  return {
    uid: Number(run('id', ['-u', runAsUser]).trim()),
    gid: Number(run('id', ['-g', runAsUser]).trim()),
  };
}

/** True when the server user can reach `dir` (it cannot inside a 0700 home directory). */
function reachableByServerUser(dir: string): boolean {
  if (process.getuid?.() !== 0) return true;
  return (
    spawnSync('runuser', ['-u', runAsUser, '--', 'test', '-x', dir], { stdio: 'ignore' }).status ===
    0
  );
}

export class Postgres implements Component {
  readonly name = 'PostgreSQL';
  readonly envVar = 'DATABASE_URL' as const;
  readonly baseDir: string;

  constructor() {
    const preferred = path.join(stackDir, 'postgres');
    mkdirSync(stackDir, { recursive: true });
    // The server user must traverse every parent of its data directory; when the checkout
    // sits somewhere it cannot (a private home), keep the cluster outside it instead.
    this.baseDir = reachableByServerUser(stackDir)
      ? preferred
      : `/var/tmp/trackops-${checkoutId}/postgres`;
  }

  get dataDir(): string {
    return path.join(this.baseDir, 'data');
  }

  get logFile(): string {
    return path.join(this.baseDir, 'postgres.log');
  }

  external(): boolean {
    return Boolean(process.env['DATABASE_URL']);
  }

  endpoint(): string {
    return process.env['DATABASE_URL'] || `postgres://postgres@${host}:${ports.postgres}/postgres`;
  }

  async up(): Promise<void> {
    if (this.external()) return this.requireHealthy();
    if (!existsSync(path.join(binDir, 'initdb'))) installPostgresBinaries(versions.postgresMajor);
    if (!existsSync(path.join(this.dataDir, 'PG_VERSION'))) this.initCluster();
    this.writeSettings();
    if (!this.pid()) {
      try {
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
      } catch (error) {
        throw notAvailable(this, (error as Error).message);
      }
    }
    await waitUntil(`${this.name} on ${host}:${ports.postgres}`, () => this.query('select 1'), {
      timeoutMs: 30_000,
    }).catch((error: Error) => {
      throw notAvailable(this, error.message);
    });
  }

  down(): Promise<void> {
    if (this.external() || !this.pid()) return Promise.resolve();
    // "fast" rolls back open transactions and disconnects clients: a test stack has no
    // sessions worth waiting for.
    asServerUser(path.join(binDir, 'pg_ctl'), ['-D', this.dataDir, '-m', 'fast', '-w', 'stop']);
    return Promise.resolve();
  }

  async status(): Promise<ComponentStatus> {
    const base = {
      ...baseStatus(this, ports.postgres, this.pid()),
    };
    try {
      const rows = await this.query(
        "select current_setting('server_version') as version, current_setting('wal_level') as wal_level",
      );
      const row = rows[0] as { version: string; wal_level: string };
      const logical = row.wal_level === 'logical';
      return {
        ...base,
        healthy: logical,
        version: row.version,
        detail: logical
          ? `wal_level=logical, data ${this.dataDir}`
          : `wal_level=${row.wal_level}: Debezium needs logical`,
      };
    } catch (error) {
      return { ...base, healthy: false, detail: (error as Error).message };
    }
  }

  private async requireHealthy(): Promise<void> {
    const status = await this.status();
    if (!status.healthy)
      throw notAvailable(this, `${status.endpoint}: ${status.detail ?? 'unhealthy'}`);
  }

  private pid(): number | undefined {
    return livePid(path.join(this.dataDir, 'postmaster.pid'));
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
    if (process.getuid?.() === 0) {
      const { uid, gid } = serverUserIds();
      chownSync(this.baseDir, uid, gid);
      chownSync(this.dataDir, uid, gid);
    }
    chmodSync(this.dataDir, 0o700);
    console.log(`[stack] initdb ${this.dataDir}`);
    // trust on loopback only: listen_addresses below keeps the cluster off other interfaces.
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

  /** Rewritten at every `up` so changed settings in infra/config apply on the next start. */
  private writeSettings(): void {
    const shared = readFileSync(path.join(repoRoot, 'infra', 'config', 'postgresql.conf'), 'utf8');
    const target = path.join(this.dataDir, 'trackops.conf');
    writeFileSync(
      target,
      `${shared}\nlisten_addresses = '${host}'\nport = ${ports.postgres}\nunix_socket_directories = ''\n`,
    );
    if (process.getuid?.() === 0) {
      const { uid, gid } = serverUserIds();
      chownSync(target, uid, gid);
    }
  }
}

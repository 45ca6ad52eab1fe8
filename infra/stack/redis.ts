import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Redis as RedisClient } from 'ioredis';
import { host, ports, stackDir, versions } from './config.js';
import { baseStatus, notAvailable, type Component, type ComponentStatus } from './component.js';
import { aptInstall } from './install.js';
import { hasCommand, livePid, run, terminate, waitUntil } from './process.js';

function installedMajor(): number | undefined {
  if (!hasCommand('redis-server')) return undefined;
  const match = /v=(\d+)\./.exec(run('redis-server', ['--version']));
  return match ? Number(match[1]) : undefined;
}

export class Redis implements Component {
  readonly name = 'Redis';
  readonly envVar = 'REDIS_URL' as const;
  private readonly dir = path.join(stackDir, 'redis');
  readonly logFile = path.join(this.dir, 'redis.log');
  private readonly pidFile = path.join(this.dir, 'redis.pid');

  external(): boolean {
    return Boolean(process.env['REDIS_URL']);
  }

  endpoint(): string {
    return process.env['REDIS_URL'] || `redis://${host}:${ports.redis}`;
  }

  async up(): Promise<void> {
    if (!this.external()) {
      const major = installedMajor();
      if (major === undefined || major < versions.redisMajor) {
        aptInstall(['redis-server'], `Redis ${versions.redisMajor} is not installed`);
      }
      if (!livePid(this.pidFile)) this.start();
    }
    await waitUntil(`${this.name} at ${this.endpoint()}`, () => this.ping(), {
      timeoutMs: this.external() ? 5_000 : 20_000,
    }).catch((error: Error) => {
      throw notAvailable(this, error.message);
    });
  }

  async down(): Promise<void> {
    const pid = livePid(this.pidFile);
    if (!this.external() && pid) await terminate(pid, 10_000);
  }

  async status(): Promise<ComponentStatus> {
    const base = {
      ...baseStatus(this, ports.redis, livePid(this.pidFile)),
    };
    const client = this.client();
    try {
      const info = await client.info('server');
      const version = /redis_version:(\S+)/.exec(info)?.[1];
      return {
        ...base,
        healthy: (await client.ping()) === 'PONG',
        version,
        detail: 'PING answered',
      };
    } catch (error) {
      return { ...base, healthy: false, detail: (error as Error).message };
    } finally {
      client.disconnect();
    }
  }

  private start(): void {
    mkdirSync(this.dir, { recursive: true });
    // A cache needs no persistence: a restarted Redis starts empty, as tests of
    // "Redis went away" expect.
    run('redis-server', [
      '--bind',
      host,
      '--port',
      String(ports.redis),
      '--daemonize',
      'yes',
      '--pidfile',
      this.pidFile,
      '--logfile',
      this.logFile,
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'yes',
    ]);
  }

  private async ping(): Promise<boolean> {
    const client = this.client();
    try {
      return (await client.ping()) === 'PONG';
    } finally {
      client.disconnect();
    }
  }

  private client(): RedisClient {
    // No retries: a health probe answers now or fails now.
    const client = new RedisClient(this.endpoint(), {
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 1000,
    });
    // The failed command already rejects; without a listener ioredis also prints the error.
    client.on('error', () => undefined);
    return client;
  }
}

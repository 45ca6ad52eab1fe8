import { mkdirSync } from 'node:fs';
import { Redis as RedisClient } from 'ioredis';
import { host, ports, versions } from './config.js';
import { Server } from './component.js';
import { aptInstall } from './install.js';
import { hasCommand, run } from './process.js';

function installedMajor(): number | undefined {
  if (!hasCommand('redis-server')) return undefined;
  const match = /v=(\d+)\./.exec(run('redis-server', ['--version']));
  return match ? Number(match[1]) : undefined;
}

export class Redis extends Server {
  readonly name = 'Redis';
  readonly envVar = 'REDIS_URL' as const;
  readonly port = ports.redis;
  protected readonly startTimeoutMs = 20_000;

  constructor() {
    super('redis');
  }

  protected ownEndpoint(): string {
    return `redis://${host}:${this.port}`;
  }

  protected start(): void {
    const major = installedMajor();
    if (major === undefined || major < versions.redisMajor) {
      aptInstall(['redis-server'], `Redis ${versions.redisMajor} is not installed`);
    }
    mkdirSync(this.dir, { recursive: true });
    // A cache needs no persistence: a restarted Redis starts empty, as tests of
    // "Redis went away" expect.
    run('redis-server', [
      '--bind',
      host,
      '--port',
      String(this.port),
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

  // redis-server daemonizes and writes its pid file a moment later, so a missing pid file
  // says nothing while it starts; the start timeout bounds the wait instead.
  protected override running(): boolean {
    return true;
  }

  protected async probe(): Promise<boolean> {
    return this.withClient(async (client) => (await client.ping()) === 'PONG');
  }

  protected async inspect(): Promise<{
    healthy: boolean;
    version: string | undefined;
    detail: string;
  }> {
    return this.withClient(async (client) => ({
      healthy: (await client.ping()) === 'PONG',
      version: /redis_version:(\S+)/.exec(await client.info('server'))?.[1],
      detail: 'PING answered',
    }));
  }

  private async withClient<T>(use: (client: RedisClient) => Promise<T>): Promise<T> {
    // No retries: a probe answers now or fails now.
    const client = new RedisClient(this.endpoint(), {
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 1000,
    });
    // The failed command already rejects; without a listener ioredis also prints the error.
    client.on('error', () => undefined);
    try {
      return await use(client);
    } finally {
      client.disconnect();
    }
  }
}

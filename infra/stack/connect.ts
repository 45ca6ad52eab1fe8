import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { heaps, host, ports, stackDir } from './config.js';
import { baseStatus, notAvailable, type Component, type ComponentStatus } from './component.js';
import { jvmArgs, type Kafka } from './kafka.js';
import { classpath, debeziumPluginPath } from './maven.js';
import { livePid, startDetached, terminate, waitUntil } from './process.js';

/** The connector class the stack must offer; readiness waits until Connect lists it. */
export const postgresConnectorClass = 'io.debezium.connector.postgresql.PostgresConnector';

interface PluginInfo {
  class: string;
  type: string;
  version?: string;
}

export class Connect implements Component {
  readonly name = 'Kafka Connect (Debezium)';
  readonly envVar = 'CONNECT_URL' as const;
  private readonly dir = path.join(stackDir, 'connect');
  readonly logFile = path.join(this.dir, 'connect.log');
  private readonly pidFile = path.join(this.dir, 'connect.pid');

  constructor(private readonly kafka: Kafka) {}

  external(): boolean {
    return Boolean(process.env['CONNECT_URL']);
  }

  endpoint(): string {
    return (process.env['CONNECT_URL'] || `http://${host}:${ports.connect}`).replace(/\/+$/, '');
  }

  async up(): Promise<void> {
    let pid: number | undefined;
    if (!this.external()) pid = livePid(this.pidFile) ?? this.start();
    await waitUntil(`${this.name} at ${this.endpoint()}`, () => this.debeziumPlugin(), {
      // First start scans the plugin jars and creates its three internal topics.
      timeoutMs: this.external() ? 10_000 : 120_000,
      intervalMs: 1000,
      alive: pid === undefined ? undefined : () => livePid(this.pidFile) !== undefined,
    }).catch((error: Error) => {
      throw notAvailable(this, error.message);
    });
  }

  async down(): Promise<void> {
    const pid = livePid(this.pidFile);
    if (!this.external() && pid) await terminate(pid, 30_000);
  }

  async status(): Promise<ComponentStatus> {
    const base = {
      ...baseStatus(this, ports.connect, livePid(this.pidFile)),
    };
    try {
      const root = (await this.get('/')) as { version: string };
      const plugin = await this.debeziumPlugin();
      if (!plugin)
        return {
          ...base,
          healthy: false,
          version: `Connect ${root.version}`,
          detail: `${postgresConnectorClass} is not among the plugins`,
        };
      return {
        ...base,
        healthy: true,
        version: `Connect ${root.version}, Debezium ${plugin.version ?? '?'}`,
        detail: `${postgresConnectorClass} available`,
      };
    } catch (error) {
      return { ...base, healthy: false, detail: (error as Error).message };
    }
  }

  private async debeziumPlugin(): Promise<PluginInfo | undefined> {
    const plugins = (await this.get('/connector-plugins')) as PluginInfo[];
    return plugins.find((plugin) => plugin.class === postgresConnectorClass);
  }

  private async get(pathname: string): Promise<unknown> {
    const response = await fetch(`${this.endpoint()}${pathname}`, {
      signal: AbortSignal.timeout(3000),
    });
    if (!response.ok) throw new Error(`GET ${pathname} answered ${response.status}`);
    return response.json();
  }

  private start(): number {
    mkdirSync(this.dir, { recursive: true });
    const properties = path.join(this.dir, 'worker.properties');
    writeFileSync(properties, this.workerProperties(debeziumPluginPath()));
    return startDetached(
      'java',
      [
        ...jvmArgs(heaps.connect, this.dir),
        '-cp',
        classpath('connect').join(':'),
        'org.apache.kafka.connect.cli.ConnectDistributed',
        properties,
      ],
      { logFile: this.logFile, pidFile: this.pidFile },
    );
  }

  private workerProperties(pluginPath: string): string {
    const settings: Record<string, string | number> = {
      'bootstrap.servers': this.kafka.endpoint(),
      'group.id': 'trackops-connect',
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'config.storage.topic': 'trackops-connect-configs',
      'offset.storage.topic': 'trackops-connect-offsets',
      'status.storage.topic': 'trackops-connect-status',
      // The defaults (3) cannot be met by a single broker.
      'config.storage.replication.factor': 1,
      'offset.storage.replication.factor': 1,
      'status.storage.replication.factor': 1,
      'offset.storage.partitions': 5,
      'status.storage.partitions': 1,
      // Source offsets are flushed every minute by default; tests that restart connectors
      // want a short window of replays.
      'offset.flush.interval.ms': 1000,
      listeners: `http://${host}:${ports.connect}`,
      'rest.advertised.host.name': host,
      'rest.advertised.port': ports.connect,
      'plugin.path': pluginPath,
      // Reads META-INF/services manifests instead of scanning every class: much faster.
      'plugin.discovery': 'service_load',
      'scheduled.rebalance.max.delay.ms': 0,
      'task.shutdown.graceful.timeout.ms': 5000,
    };
    return `${Object.entries(settings)
      .map(([key, value]) => `${key}=${String(value)}`)
      .join('\n')}\n`;
  }
}

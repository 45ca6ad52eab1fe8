import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { heaps, host, ports } from './config.js';
import { Server } from './component.js';
import { jvmArgs, propertiesFile, type Kafka } from './kafka.js';
import { classpath, debeziumPluginPath } from './maven.js';
import { startDetached } from './process.js';

/** The connector class the stack must offer; readiness waits until Connect lists it. */
export const postgresConnectorClass = 'io.debezium.connector.postgresql.PostgresConnector';

interface PluginInfo {
  class: string;
  type: string;
  version?: string;
}

export class Connect extends Server {
  readonly name = 'Kafka Connect (Debezium)';
  readonly envVar = 'CONNECT_URL' as const;
  readonly port = ports.connect;
  // The first start creates Connect's three internal topics and joins its group.
  protected readonly startTimeoutMs = 120_000;
  protected override readonly stopGraceMs = 30_000;

  constructor(private readonly kafka: Kafka) {
    super('connect');
  }

  override endpoint(): string {
    return super.endpoint().replace(/\/+$/, '');
  }

  protected ownEndpoint(): string {
    return `http://${host}:${this.port}`;
  }

  protected async probe(): Promise<PluginInfo | undefined> {
    const plugins = (await this.get('/connector-plugins')) as PluginInfo[];
    return plugins.find((plugin) => plugin.class === postgresConnectorClass);
  }

  protected async inspect(): Promise<{ healthy: boolean; version: string; detail: string }> {
    const root = (await this.get('/')) as { version: string };
    const plugin = await this.probe();
    if (!plugin) {
      return {
        healthy: false,
        version: `Connect ${root.version}`,
        detail: `${postgresConnectorClass} is not among the plugins`,
      };
    }
    return {
      healthy: true,
      version: `Connect ${root.version}, Debezium ${plugin.version ?? '?'}`,
      detail: `${postgresConnectorClass} available`,
    };
  }

  private async get(pathname: string): Promise<unknown> {
    const response = await fetch(`${this.endpoint()}${pathname}`, {
      signal: AbortSignal.timeout(3000),
    });
    if (!response.ok) throw new Error(`GET ${pathname} answered ${response.status}`);
    return response.json();
  }

  protected start(): void {
    mkdirSync(this.dir, { recursive: true });
    const properties = path.join(this.dir, 'worker.properties');
    writeFileSync(properties, propertiesFile(this.workerProperties(debeziumPluginPath())));
    startDetached(
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

  private workerProperties(pluginPath: string): Record<string, string | number> {
    return {
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
      listeners: `http://${host}:${this.port}`,
      'rest.advertised.host.name': host,
      'rest.advertised.port': this.port,
      'plugin.path': pluginPath,
      // Reads META-INF/services manifests instead of scanning every class: much faster.
      'plugin.discovery': 'service_load',
      'scheduled.rebalance.max.delay.ms': 0,
      'task.shutdown.graceful.timeout.ms': 5000,
    };
  }
}

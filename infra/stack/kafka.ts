import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Kafka as KafkaClient, logLevel } from 'kafkajs';
import { heaps, host, ports, repoRoot, stackDir, versions } from './config.js';
import { baseStatus, notAvailable, type Component, type ComponentStatus } from './component.js';
import { classpath } from './maven.js';
import { livePid, run, startDetached, terminate, waitUntil } from './process.js';

/** The JVM options both Kafka servers share: small heap, console log4j, headless. */
export function jvmArgs(heap: string, logsDir: string): string[] {
  return [
    ...heap.split(/\s+/).filter(Boolean),
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-Djava.awt.headless=true',
    `-Dkafka.logs.dir=${logsDir}`,
    `-Dlog4j.configuration=file:${path.join(repoRoot, 'infra', 'config', 'log4j.properties')}`,
  ];
}

/** A KRaft cluster id: 16 random bytes, base64url without padding, as Kafka's Uuid prints. */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Parses "host:port,host:port" into kafkajs' broker list. */
export function brokerList(value: string): string[] {
  return value
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
}

export class Kafka implements Component {
  readonly name = 'Kafka';
  readonly envVar = 'KAFKA_BROKERS' as const;
  private readonly dir = path.join(stackDir, 'kafka');
  readonly logFile = path.join(this.dir, 'kafka.log');
  private readonly pidFile = path.join(this.dir, 'kafka.pid');
  private readonly dataDir = path.join(this.dir, 'data');

  external(): boolean {
    return Boolean(process.env['KAFKA_BROKERS']);
  }

  endpoint(): string {
    return process.env['KAFKA_BROKERS'] || `${host}:${ports.kafka}`;
  }

  async up(): Promise<void> {
    let pid: number | undefined;
    if (!this.external()) {
      pid = livePid(this.pidFile) ?? this.start();
    }
    await waitUntil(`${this.name} at ${this.endpoint()}`, () => this.clusterSize(), {
      timeoutMs: this.external() ? 10_000 : 90_000,
      intervalMs: 500,
      alive: pid === undefined ? undefined : () => livePid(this.pidFile) !== undefined,
    }).catch((error: Error) => {
      throw notAvailable(this, error.message);
    });
  }

  async down(): Promise<void> {
    const pid = livePid(this.pidFile);
    // Controlled shutdown moves leadership and flushes logs; it takes a few seconds.
    if (!this.external() && pid) await terminate(pid, 30_000);
  }

  async status(): Promise<ComponentStatus> {
    const base = {
      ...baseStatus(this, ports.kafka, livePid(this.pidFile)),
      version: this.external() ? undefined : versions.kafka,
    };
    try {
      const brokers = await this.clusterSize();
      return { ...base, healthy: true, detail: `KRaft, ${brokers} broker(s) answered metadata` };
    } catch (error) {
      return { ...base, healthy: false, detail: (error as Error).message };
    }
  }

  /** Asks for cluster metadata through kafkajs, exactly as the packages will connect. */
  private async clusterSize(): Promise<number> {
    const kafka = new KafkaClient({
      clientId: 'trackops-stack',
      brokers: brokerList(this.endpoint()),
      connectionTimeout: 1000,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      return cluster.brokers.length;
    } finally {
      await admin.disconnect();
    }
  }

  private start(): number {
    mkdirSync(this.dataDir, { recursive: true });
    const jars = classpath('broker').join(':');
    const properties = path.join(this.dir, 'server.properties');
    writeFileSync(properties, this.serverProperties());
    if (!existsSync(path.join(this.dataDir, 'meta.properties'))) {
      console.log(`[stack] formatting KRaft storage ${this.dataDir}`);
      // --ignore-formatted keeps an existing cluster id if a previous format half-finished.
      run('java', [
        '-cp',
        jars,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        newClusterId(),
        '-c',
        properties,
        '--ignore-formatted',
      ]);
    }
    return startDetached(
      'java',
      [...jvmArgs(heaps.kafka, this.dir), '-cp', jars, 'kafka.Kafka', properties],
      { logFile: this.logFile, pidFile: this.pidFile },
    );
  }

  private serverProperties(): string {
    const settings: Record<string, string | number | boolean> = {
      'process.roles': 'broker,controller',
      'node.id': 1,
      'controller.quorum.voters': `1@${host}:${ports.kafkaController}`,
      listeners: `PLAINTEXT://${host}:${ports.kafka},CONTROLLER://${host}:${ports.kafkaController}`,
      'advertised.listeners': `PLAINTEXT://${host}:${ports.kafka}`,
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'PLAINTEXT',
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      'log.dirs': this.dataDir,
      'num.partitions': 1,
      'auto.create.topics.enable': true,
      'offsets.topic.replication.factor': 1,
      // 50 offsets partitions (the default) make the first consumer group of a run slow to
      // coordinate on a 2-core machine; tests use many short-lived groups.
      'offsets.topic.num.partitions': 10,
      'transaction.state.log.replication.factor': 1,
      'transaction.state.log.min.isr': 1,
      'transaction.state.log.num.partitions': 5,
      // Without this the first join of every group waits 3 s.
      'group.initial.rebalance.delay.ms': 0,
      'log.retention.hours': 24,
      'log.segment.bytes': 64 * 1024 * 1024,
      'num.network.threads': 2,
      'num.io.threads': 4,
    };
    return `${Object.entries(settings)
      .map(([key, value]) => `${key}=${String(value)}`)
      .join('\n')}\n`;
  }
}

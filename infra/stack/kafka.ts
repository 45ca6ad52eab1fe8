import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Kafka as KafkaClient, logLevel } from 'kafkajs';
import { heaps, host, ports, repoRoot, versions } from './config.js';
import { Server } from './component.js';
import { classpath } from './maven.js';
import { run, startDetached } from './process.js';

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

/** `key=value` lines of a Java properties file. */
export function propertiesFile(settings: Record<string, string | number | boolean>): string {
  return `${Object.entries(settings)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join('\n')}\n`;
}

/** A KRaft cluster id: 16 random bytes, base64url without padding, as Kafka's Uuid prints. */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export class Kafka extends Server {
  readonly name = 'Kafka';
  readonly envVar = 'KAFKA_BROKERS' as const;
  readonly port = ports.kafka;
  protected readonly startTimeoutMs = 90_000;
  // Controlled shutdown moves leadership and flushes logs; it takes a few seconds.
  protected override readonly stopGraceMs = 30_000;

  constructor() {
    super('kafka');
  }

  private get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  protected ownEndpoint(): string {
    return `${host}:${this.port}`;
  }

  /** Asks for cluster metadata through kafkajs, exactly as the packages will connect. */
  protected async probe(): Promise<number> {
    const kafka = new KafkaClient({
      clientId: 'trackops-stack',
      brokers: this.endpoint()
        .split(',')
        .map((broker) => broker.trim()),
      connectionTimeout: 1000,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      return (await admin.describeCluster()).brokers.length;
    } finally {
      await admin.disconnect();
    }
  }

  protected async inspect(): Promise<{
    healthy: boolean;
    version: string | undefined;
    detail: string;
  }> {
    const brokers = await this.probe();
    return {
      healthy: true,
      version: this.external() ? undefined : versions.kafka,
      detail: `KRaft, ${brokers} broker(s) answered metadata`,
    };
  }

  protected start(): void {
    mkdirSync(this.dataDir, { recursive: true });
    const jars = classpath('broker').join(':');
    const properties = path.join(this.dir, 'server.properties');
    writeFileSync(properties, propertiesFile(this.serverProperties()));
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
    startDetached(
      'java',
      [...jvmArgs(heaps.kafka, this.dir), '-cp', jars, 'kafka.Kafka', properties],
      {
        logFile: this.logFile,
        pidFile: this.pidFile,
      },
    );
  }

  private serverProperties(): Record<string, string | number | boolean> {
    return {
      'process.roles': 'broker,controller',
      'node.id': 1,
      // Static voters: `StorageTool format` then needs no --standalone (KIP-853).
      'controller.quorum.voters': `1@${host}:${ports.kafkaController}`,
      listeners: `PLAINTEXT://${host}:${this.port},CONTROLLER://${host}:${ports.kafkaController}`,
      'advertised.listeners': `PLAINTEXT://${host}:${this.port}`,
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
  }
}

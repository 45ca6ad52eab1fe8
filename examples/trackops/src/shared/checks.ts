import type { ConnectClient } from '@trackops/cdc';
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import type { HealthCheck } from './health.js';

/** PostgreSQL answers a query on the service's pool. */
export function postgresCheck(pool: pg.Pool, name = 'postgres'): HealthCheck {
  return {
    name,
    check: async () => {
      const { rows } = await pool.query<{ database: string }>(
        'select current_database() as database',
      );
      return { database: rows[0]?.database };
    },
  };
}

/** Kafka answers a metadata request (one admin client, connected on first use). */
export function kafkaCheck(kafka: Kafka): HealthCheck & { close(): Promise<void> } {
  const admin = kafka.admin();
  let connected: Promise<void> | undefined;
  return {
    name: 'kafka',
    check: async () => {
      connected ??= admin.connect().catch((error: unknown) => {
        connected = undefined;
        throw error;
      });
      await connected;
      const cluster = await admin.describeCluster();
      return { brokers: cluster.brokers.length, controller: cluster.controller };
    },
    close: async () => {
      if (connected) await admin.disconnect().catch(() => undefined);
    },
  };
}

/** Redis answers PING. */
export function redisCheck(redis: Redis): HealthCheck {
  return {
    name: 'redis',
    check: async () => {
      // Commands wait in ioredis' offline queue while it reconnects: say so at once instead
      // (a first connection still in progress is waited for, within the check's timeout).
      if (['reconnecting', 'close', 'end'].includes(redis.status)) {
        throw new Error(`redis is ${redis.status}`);
      }
      await redis.ping();
    },
  };
}

/**
 * The state of a Debezium connector (`FAILED` when it or a task failed) and of its tasks, as the
 * health document and the relay's stats show it; `NOT_REGISTERED` when Connect does not know it.
 */
export async function connectorState(
  connect: ConnectClient,
  name: string,
): Promise<{ state: string; tasks: string[]; trace?: string }> {
  const status = await connect.status(name);
  if (status === undefined) return { state: 'NOT_REGISTERED', tasks: [] };
  const tasks = status.tasks.map((task) => task.state);
  const failed = [status.connector, ...status.tasks].find((unit) => unit.state === 'FAILED');
  return {
    state: failed ? 'FAILED' : status.connector.state,
    tasks,
    ...(failed?.trace ? { trace: failed.trace.split('\n')[0] } : {}),
  };
}

/**
 * The `debezium` health component: the state of each named connector; UP only when every one
 * (and its tasks) is RUNNING — or, with `whenMissing: 'up'`, not registered yet.
 */
export function connectorsCheck(
  connect: ConnectClient,
  names: readonly string[],
  options: { whenMissing: 'up' | 'down' },
): HealthCheck {
  return {
    name: 'debezium',
    check: async () => {
      const states = await Promise.all(names.map((name) => connectorState(connect, name)));
      const problems: string[] = [];
      const connectors: Record<string, string> = {};
      states.forEach(({ state, tasks, trace }, index) => {
        const name = names[index]!;
        connectors[name] = state;
        const running = state === 'RUNNING' && tasks.every((task) => task === 'RUNNING');
        if (!running && !(state === 'NOT_REGISTERED' && options.whenMissing === 'up')) {
          problems.push(`connector ${name} is ${state}${trace ? `: ${trace}` : ''}`);
        }
      });
      if (problems.length > 0) throw new Error(problems.join('; '));
      return { connectors };
    },
  };
}

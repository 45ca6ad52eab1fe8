import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { envFile, stackDir } from './config.js';
import { StackComponentError, type ComponentStatus, type Server } from './component.js';
import { Connect } from './connect.js';
import { Kafka } from './kafka.js';
import { Postgres } from './postgres.js';
import { isAlive } from './process.js';
import { Redis } from './redis.js';

// Where the stack's servers are, as the tests and the example app read them: the test kit's
// type, so the endpoints the stack returns are the ones the kit hands to test files.
import type { StackEndpoints } from '@trackops/testkit/helpers';
export type { StackEndpoints };

/** The four components, in start order (Connect needs Kafka). */
export function components(): { postgres: Postgres; redis: Redis; kafka: Kafka; connect: Connect } {
  const kafka = new Kafka();
  return { postgres: new Postgres(), redis: new Redis(), kafka, connect: new Connect(kafka) };
}

export function endpoints(): StackEndpoints {
  const { postgres, redis, kafka, connect } = components();
  return {
    DATABASE_URL: postgres.endpoint(),
    KAFKA_BROKERS: kafka.endpoint(),
    REDIS_URL: redis.endpoint(),
    CONNECT_URL: connect.endpoint(),
    CONNECT_DATABASE_URL: process.env['CONNECT_DATABASE_URL'] || postgres.endpoint(),
  };
}

/**
 * Serialises `up`/`down` across processes (a test run and a person at a terminal, say):
 * an exclusive lock file holding the owner's pid; a lock whose owner died is taken over.
 */
async function withLock<T>(work: () => Promise<T>): Promise<T> {
  mkdirSync(stackDir, { recursive: true });
  const lock = path.join(stackDir, 'stack.lock');
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      writeFileSync(lock, String(process.pid));
      break;
    } catch {
      const owner = Number(readFileSync(lock, { encoding: 'utf8', flag: 'a+' }).trim());
      if (!Number.isInteger(owner) || owner <= 0 || !isAlive(owner)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new Error(`the stack is locked by process ${owner} (${lock})`);
      await sleep(500);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Runs every task, then throws one error that names each component that failed. */
async function allOrReport(tasks: Array<Promise<void>>): Promise<void> {
  const results = await Promise.allSettled(tasks);
  const failures = results.flatMap((result) =>
    result.status === 'rejected' ? [result.reason as Error] : [],
  );
  const [only] = failures;
  if (failures.length === 1 && only) throw only;
  if (failures.length > 1) throw new Error(failures.map((failure) => failure.message).join('\n\n'));
}

/**
 * Brings every component up (installing what is missing), waits until each is ready and
 * writes the endpoints to `.stack/env`. Idempotent: running servers are left as they are;
 * components given by environment URLs are only checked.
 */
export async function up(): Promise<StackEndpoints> {
  return withLock(async () => {
    const { postgres, redis, kafka, connect } = components();
    await allOrReport([postgres.up(), redis.up(), kafka.up().then(() => connect.up())]);
    const result = endpoints();
    writeFileSync(
      envFile,
      Object.entries(result)
        .map(([key, value]) => `${key}=${value}`)
        .join('\n') + '\n',
    );
    return result;
  });
}

/** Stops the components this stack started (not external ones), in reverse start order. */
export async function down(only?: readonly string[]): Promise<void> {
  await withLock(async () => {
    const all = components();
    const order: Array<[string, Server]> = [
      ['connect', all.connect],
      ['kafka', all.kafka],
      ['redis', all.redis],
      ['postgres', all.postgres],
    ];
    for (const [key, component] of order) {
      if (!only || only.length === 0 || only.includes(key)) await component.down();
    }
  });
}

/** Health, version, port and pid of every component. */
export async function status(): Promise<ComponentStatus[]> {
  const { postgres, redis, kafka, connect } = components();
  return Promise.all([postgres.status(), redis.status(), kafka.status(), connect.status()]);
}

/**
 * Starts nothing: checks every component and throws one error naming each that is not
 * healthy and the command that starts it. For runs against a stack that must already be up.
 */
export async function check(): Promise<StackEndpoints> {
  const rows = await status();
  const failures = rows.filter((row) => !row.healthy);
  if (failures.length > 0) {
    throw new Error(
      failures
        .map(
          (row) =>
            new StackComponentError(
              row.name,
              `${row.endpoint}: ${row.detail ?? 'unhealthy'}`,
              undefined,
              row.mode === 'external' ? row.envVar : undefined,
            ).message,
        )
        .join('\n\n'),
    );
  }
  return endpoints();
}

/** Deletes all data under .stack/ (the servers must be down). */
export async function reset(): Promise<void> {
  await down();
  const { postgres } = components();
  for (const dir of ['kafka', 'redis', 'connect'])
    rmSync(path.join(stackDir, dir), { recursive: true, force: true });
  rmSync(postgres.baseDir, { recursive: true, force: true });
  rmSync(envFile, { force: true });
}

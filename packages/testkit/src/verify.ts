import { Kafka, logLevel } from 'kafkajs';
import { Redis } from 'ioredis';
import pg from 'pg';
import { parseOptions } from '@trackops/core';
import { z } from 'zod';
import { debeziumPostgresConnectorClass } from './connect.js';
import type { StackEndpoints } from './endpoints.js';
import { TestkitError } from './errors.js';

/** Options of {@link verifyStack}. */
export const verifyStackOptionsSchema = z.object({
  /**
   * How long each server may take to answer, in milliseconds.
   * @defaultValue 10 000
   */
  timeoutMs: z.number().int().positive().default(10_000),
});

/** Options of {@link verifyStack}, as given. */
export type VerifyStackOptions = z.input<typeof verifyStackOptionsSchema>;

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** PostgreSQL answers, and with logical WAL: Debezium and the CDC tests need it. */
async function verifyPostgres(url: string, timeoutMs: number): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  // A server that goes away mid-check must not become an unhandled 'error' event.
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<{ wal_level: string }>('show wal_level');
    const level = rows[0]?.wal_level;
    if (level !== 'logical') {
      throw new Error(`wal_level is ${String(level)}; Debezium needs wal_level=logical`);
    }
  } finally {
    await client.end();
  }
}

async function verifyKafka(brokers: string, timeoutMs: number): Promise<void> {
  const admin = new Kafka({
    clientId: 'trackops-testkit-verify',
    brokers: brokers.split(',').map((broker) => broker.trim()),
    connectionTimeout: timeoutMs,
    // One attempt: the caller wants to know now, not after kafkajs' retries.
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.describeCluster();
  } finally {
    await admin.disconnect();
  }
}

async function verifyRedis(url: string, timeoutMs: number): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // With no retries ioredis rejects with "Connection is closed."; the reason (ECONNREFUSED,
  // a DNS failure …) comes only as an 'error' event, so that is what gets reported.
  let cause: unknown;
  redis.on('error', (error) => {
    cause ??= error;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw cause ?? error;
  } finally {
    redis.disconnect();
  }
}

async function verifyConnect(url: string, timeoutMs: number): Promise<void> {
  const response = await fetch(`${url}/connector-plugins`, {
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`GET /connector-plugins answered ${response.status}`);
  const plugins = (await response.json()) as Array<{ class?: string }>;
  if (!plugins.some((plugin) => plugin.class === debeziumPostgresConnectorClass)) {
    throw new Error(`the Debezium PostgreSQL connector is not installed`);
  }
}

/**
 * Checks every server answers and has what the tests need: PostgreSQL with
 * `wal_level=logical`, a Kafka broker, Redis, and Connect with the Debezium PostgreSQL connector.
 * All four are checked side by side and every failure is reported, so one run shows everything
 * that is wrong.
 *
 * @param endpoints - The servers, e.g. from {@link attachStackFromEnv}.
 * @param options - See {@link verifyStackOptionsSchema}.
 * @throws {@link TestkitError} `TESTKIT_STACK_UNAVAILABLE`, naming the variable of each server
 *   that failed and why.
 */
export async function verifyStack(
  endpoints: StackEndpoints,
  options: VerifyStackOptions = {},
): Promise<void> {
  const { timeoutMs } = parseOptions(verifyStackOptionsSchema, options, 'verifyStack');
  const checks: Array<[keyof StackEndpoints, Promise<void>]> = [
    ['DATABASE_URL', verifyPostgres(endpoints.DATABASE_URL, timeoutMs)],
    ['KAFKA_BROKERS', verifyKafka(endpoints.KAFKA_BROKERS, timeoutMs)],
    ['REDIS_URL', verifyRedis(endpoints.REDIS_URL, timeoutMs)],
    ['CONNECT_URL', verifyConnect(endpoints.CONNECT_URL, timeoutMs)],
  ];
  const results = await Promise.allSettled(checks.map(([, check]) => check));
  const failures = results.flatMap((result, index) =>
    result.status === 'rejected' ? [`${checks[index]?.[0]}: ${reason(result.reason)}`] : [],
  );
  if (failures.length > 0) {
    throw new TestkitError({
      code: 'TESTKIT_STACK_UNAVAILABLE',
      message: `the test servers are not all usable:\n  ${failures.join('\n  ')}`,
    });
  }
}

/** What a benchmark runs against: the stack, one Kafka client and admin, the progress log, and
 * databases of its own. */
import { check } from '@trackops/stack';
import {
  createTestDatabase,
  testKafka,
  type StackEndpoints,
  type TestDatabase,
} from '@trackops/testkit/helpers';
import type { Admin, Kafka } from 'kafkajs';
import type { Cleanup } from './cleanup.js';
import { elapsedLog } from './report.js';

/** What a scenario runs against. */
export interface BenchContext {
  stack: StackEndpoints;
  kafka: Kafka;
  /** One admin client for the whole run (offset polling, topic deletion). */
  admin: Admin;
  log: (message: string) => void;
}

/**
 * Checks the stack is up and connects the run's admin client (the caller disconnects it);
 * `started` (`Date.now()` once connected) is the start of the run and of the log's clock.
 */
export async function openBenchContext(): Promise<BenchContext & { started: number }> {
  const stack = await check();
  const kafka = testKafka(stack.KAFKA_BROKERS, 'trackops-bench');
  const admin = kafka.admin();
  await admin.connect();
  const started = Date.now();
  return { stack, kafka, admin, log: elapsedLog(started), started };
}

/** A fresh database named after `name` on the stack's server, dropped at cleanup. */
export async function benchDatabase(
  databaseUrl: string,
  cleanup: Cleanup,
  name: string,
): Promise<TestDatabase> {
  const db = await createTestDatabase(databaseUrl, name);
  cleanup.defer(`drop database ${db.name}`, () => db.drop());
  return db;
}

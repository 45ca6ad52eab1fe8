/**
 * The order saga's orchestrator (a saga runtime: outbox relay, reply consumer, deadline poller)
 * in a process of its own, for tests that kill it with SIGKILL. Run with
 * `node --conditions=@trackops/source --import tsx`. Configured by environment: DATABASE_URL,
 * KAFKA_BROKERS, PREFIX (the world's topic prefix), TIMEOUT_MS (step timeout). Prints
 * `{"started":pid}` once running and `{"ended":sagaId,"status":…}` per saga it ends; stops
 * gracefully on SIGTERM.
 */
import { createSagaRuntime } from '@trackops/saga';
import { Kafka, logLevel, type ConsumerConfig } from 'kafkajs';
import pg from 'pg';
import { orderSaga } from './orderSaga.js';
import { cancelOrder, confirmOrder, replyTopicOf } from './orderTables.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const print = (line: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
};

const prefix = env('PREFIX');
const pool = new pg.Pool({ connectionString: env('DATABASE_URL'), max: 8 });
pool.on('error', () => undefined);
const kafka = new Kafka({
  clientId: 'saga-orchestrator-process',
  brokers: env('KAFKA_BROKERS').split(','),
  logLevel: logLevel.NOTHING,
});
// A killed member stays in its group until its session times out, and the restarted process's
// join waits for that: the broker's minimum session (6 s) keeps each restart short. The
// runtime only calls consumer() and producer(), so the session is set here, not in the runtime.
const shortSessions = {
  producer: kafka.producer.bind(kafka),
  consumer: (config: ConsumerConfig) =>
    kafka.consumer({ ...config, sessionTimeout: 6000, heartbeatInterval: 500 }),
} as unknown as Kafka;

const { saga } = orderSaga(prefix, {
  timeoutMs: Number(process.env['TIMEOUT_MS'] ?? 20_000),
  confirm: confirmOrder,
  unconfirm: cancelOrder,
});
const runtime = createSagaRuntime({
  pool,
  kafka: shortSessions,
  sagas: [saga],
  replyTopic: replyTopicOf(prefix),
  tables: { schema: 'orders' },
  pollIntervalMs: 100,
  retry: { attempts: 2, initialMs: 50, maxMs: 200 },
  relay: { pollIntervalMs: 100 },
});
runtime.on('saga:ended', ({ sagaId, status }) => print({ ended: sagaId, status }));

await runtime.start();
print({ started: process.pid });
process.once('SIGTERM', () => {
  void runtime.stop().then(() => pool.end());
});

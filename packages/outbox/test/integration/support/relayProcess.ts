/**
 * A relay in a process of its own, for tests that kill it. Configured by environment:
 * DATABASE_URL, KAFKA_BROKERS, TOPIC (route.topic template), BATCH_SIZE, and CRASH_AFTER_BATCHES
 * to SIGKILL itself inside that batch, after the broker acknowledged it and before the relay
 * marked its rows. Prints one JSON line per published batch (`{"published":n}`).
 */
import { Kafka, logLevel, type Producer, type ProducerConfig } from 'kafkajs';
import pg from 'pg';
import { createRelay } from '@trackops/outbox';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const pool = new pg.Pool({ connectionString: env('DATABASE_URL'), max: 4 });
pool.on('error', () => undefined);
const kafka = new Kafka({
  clientId: 'relay-process',
  brokers: env('KAFKA_BROKERS').split(','),
  logLevel: logLevel.NOTHING,
});
const crashAfter = Number(process.env['CRASH_AFTER_BATCHES'] ?? 0);
let batches = 0;
// The relay only calls producer(); wrapping it lets the process die at an exact point.
const crashingKafka = {
  consumer: kafka.consumer.bind(kafka),
  producer: (config?: ProducerConfig): Producer => {
    const producer = kafka.producer(config);
    const sendBatch = producer.sendBatch.bind(producer);
    producer.sendBatch = async (batch) => {
      const result = await sendBatch(batch);
      if (crashAfter > 0 && ++batches === crashAfter) process.kill(process.pid, 'SIGKILL');
      return result;
    };
    return producer;
  },
} as unknown as Kafka;
const relay = createRelay({
  pool,
  kafka: crashingKafka,
  route: { topic: env('TOPIC') },
  batchSize: Number(process.env['BATCH_SIZE'] ?? 200),
  pollIntervalMs: 100,
  backoff: { initialMs: 100, maxMs: 1000 },
});
relay.on('relay:batch:published', ({ count }) =>
  process.stdout.write(`${JSON.stringify({ published: count })}\n`),
);
relay.on('relay:error', ({ error }) =>
  process.stdout.write(`${JSON.stringify({ error: error.message })}\n`),
);

await relay.start();
process.stdout.write(`${JSON.stringify({ started: process.pid })}\n`);
process.once('SIGTERM', () => {
  void relay.stop().then(() => pool.end());
});

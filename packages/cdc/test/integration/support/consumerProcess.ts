/**
 * A CDC consumer in a process of its own, for the crash test: it prints one JSON line per
 * handled row (`{"id":n}`) and `{"started":true}` once consuming, and is killed with SIGKILL.
 * Environment: KAFKA_BROKERS, TOPIC, GROUP_ID, HANDLER_DELAY_MS.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { testKafka } from '@trackops/testkit/helpers';
import { createCdcConsumer } from '../../../src/consumer.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const delay = Number(process.env['HANDLER_DELAY_MS'] ?? '10');
const consumer = createCdcConsumer({
  kafka: testKafka(env('KAFKA_BROKERS'), 'cdc-crash-test'),
  groupId: env('GROUP_ID'),
  fromBeginning: true,
  // The broker's minimum session timeout: the restarted consumer's group waits for the killed
  // member to time out before it gets the partition. A short rebalance timeout too: a join that
  // finds the dead member still listed waits at most this long for it (kafkajs: 60 s).
  consumerConfig: {
    maxWaitTimeInMs: 100,
    sessionTimeout: 6000,
    rebalanceTimeout: 10_000,
    heartbeatInterval: 500,
  },
  tables: {
    [env('TOPIC')]: async (event) => {
      if (event.kind !== 'change' || event.op !== 'c') return;
      await sleep(delay);
      process.stdout.write(`${JSON.stringify({ id: event.after['id'] })}\n`);
    },
  },
});
await consumer.start();
process.stdout.write(`${JSON.stringify({ started: true })}\n`);
process.once('SIGTERM', () => void consumer.stop().then(() => process.exit(0)));

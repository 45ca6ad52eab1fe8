/**
 * A CDC consumer in a process of its own, so its memory is measured alone (the parent
 * produces records and samples this process). Driven over stdio by consumerChild.ts, one JSON
 * object a line:
 *
 *   argv[2]: {@link ConsumerProcessConfig} as JSON
 *   stdout:  {"type":"ready",…}     modules loaded, client and consumer created, not started
 *            {"type":"caught-up",…} `expected` events handled
 *            {"type":"stopped",…}   after "stop", with the final memory figures
 *   stdin:   "go" starts the consumer; "stop" (or end of input) stops it and exits
 */
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { createCdcConsumer } from '@trackops/cdc';
import { testKafka } from '@trackops/testkit/helpers';
import { processMemory, sendToParent } from '../lib/childProcess.js';

export interface ConsumerProcessConfig {
  brokers: string;
  topic: string;
  groupId: string;
  /** Report "caught-up" once the handler has seen this many events. */
  expected: number;
}

function main(): void {
  const config = JSON.parse(process.argv[2] ?? '{}') as ConsumerProcessConfig;
  let handled = 0;
  let started = 0;
  // Default settings, as in the rate scenario: only the topic, the group and fromBeginning.
  const consumer = createCdcConsumer({
    kafka: testKafka(config.brokers, 'trackops-bench-cdc-consumer'),
    groupId: config.groupId,
    fromBeginning: true,
    tables: {
      [config.topic]: () => {
        if (++handled === config.expected)
          sendToParent({
            type: 'caught-up',
            handled,
            ms: performance.now() - started,
            ...processMemory(),
          });
      },
    },
    onError: (error) => sendToParent({ type: 'error', message: error.message }),
  });
  sendToParent({ type: 'ready', ...processMemory() });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await consumer.stop();
      sendToParent({ type: 'stopped', handled, ...processMemory() });
    })());
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line === 'go') {
      started = performance.now();
      consumer
        .start()
        .catch((error: Error) => sendToParent({ type: 'error', message: error.message }));
    } else if (line === 'stop') void stop();
  });
  // The parent went away: do not outlive it.
  lines.on('close', () => void stop());
}

main();

/**
 * A TrackOps relay in a process of its own, so its memory can be measured alone and it does
 * not share an event loop with the benchmark's writer and consumer (as in production, where
 * the relay is its own service). Driven over stdio by relayChild.ts, one JSON object a line:
 *
 *   argv[2]: {@link RelayProcessConfig} as JSON
 *   stdout:  {"type":"ready",…}  modules loaded, pool and client created, relay not started
 *            {"type":"drained",…} `expected` events published (when `expected` is set)
 *            {"type":"stopped",…} after "stop", with the final memory figures
 *   stdin:   "go" starts the relay; "stop" (or end of input) stops it and exits
 */
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { createRelay } from '@trackops/outbox';
import { testKafka } from '@trackops/testkit/helpers';
import pg from 'pg';
import { processMemory, sendToParent } from '../lib/childProcess.js';

export interface RelayProcessConfig {
  databaseUrl: string;
  brokers: string;
  route: { topic: string };
  batchSize: number;
  /** Report "drained" once this many events are published. */
  expected?: number;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as RelayProcessConfig;
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 4 });
  pool.on('error', () => undefined);
  await pool.query('select 1');
  const relay = createRelay({
    pool,
    kafka: testKafka(config.brokers, 'trackops-bench-relay'),
    route: config.route,
    batchSize: config.batchSize,
    onError: (error) => sendToParent({ type: 'error', message: error.message }),
  });
  let published = 0;
  let started = 0;
  relay.on('relay:batch:published', ({ count }) => {
    published += count;
    if (
      config.expected !== undefined &&
      published >= config.expected &&
      published - count < config.expected
    )
      sendToParent({
        type: 'drained',
        published,
        ms: performance.now() - started,
        ...processMemory(),
      });
  });
  sendToParent({ type: 'ready', ...processMemory() });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await relay.stop();
      await pool.end();
      sendToParent({ type: 'stopped', published, ...processMemory() });
    })());
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line === 'go') {
      started = performance.now();
      relay
        .start()
        .catch((error: Error) => sendToParent({ type: 'error', message: error.message }));
    } else if (line === 'stop') void stop();
  });
  // The parent went away: do not outlive it.
  lines.on('close', () => void stop());
}

main().catch((error: Error) => {
  sendToParent({ type: 'error', message: error.stack ?? error.message });
  process.exitCode = 1;
});

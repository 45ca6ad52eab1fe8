/**
 * A cache in a process of its own, for its memory alone: `keys` distinct keys pass through
 * `getOrLoad` (each a miss, a load and a fill, every tenth with a tag, every hundredth
 * invalidated), `concurrency` at a time. Reports its memory at each checkpoint. Driven over
 * stdio by rssChild.ts (protocol in ../lib/childProcess.ts):
 *
 *   argv[2]: {@link RssProcessConfig} as JSON
 *   stdout:  {"type":"ready",…}, {"type":"checkpoint","keys":N,…} per checkpoint,
 *            {"type":"done",…}, {"type":"stopped",…}
 *   stdin:   "go" starts; "stop" (or end of input) exits
 */
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { createCache } from '@trackops/cache';
import { Redis } from 'ioredis';
import { processMemory, sendToParent } from '../lib/childProcess.js';

export interface RssProcessConfig {
  redisUrl: string;
  keyPrefix: string;
  keys: number;
  concurrency: number;
  checkpoints: number[];
}

function main(): void {
  const config = JSON.parse(process.argv[2] ?? '{}') as RssProcessConfig;
  const redis = new Redis(config.redisUrl);
  // Short TTLs keep Redis small: the keys pass through, they do not accumulate.
  const cache = createCache<{ key: string; payload: string }>({
    redis,
    keyPrefix: config.keyPrefix,
    namespace: 'rss',
    ttlMs: 2_000,
    negativeTtlMs: 2_000,
    leaseMs: 1_000,
    tombstoneTtlMs: 2_000,
    commandTimeoutMs: 5_000,
  });
  const payload = 'x'.repeat(200);
  sendToParent({ type: 'ready', ...processMemory() });

  const run = async (): Promise<void> => {
    const started = performance.now();
    const checkpoints = new Set(config.checkpoints);
    let next = 0;
    let done = 0;
    await Promise.all(
      Array.from({ length: config.concurrency }, async () => {
        while (next < config.keys) {
          const i = next++;
          const key = `key:${i}`;
          await cache.getOrLoad(
            key,
            () => Promise.resolve(i % 50 === 0 ? undefined : { key, payload }),
            i % 10 === 0 ? { tags: [`tag:${Math.floor(i / 10)}`] } : {},
          );
          if (i % 100 === 0) await cache.invalidate(key);
          done++;
          if (checkpoints.has(done)) {
            const stats = cache.stats();
            sendToParent({
              type: 'checkpoint',
              keys: done,
              ms: performance.now() - started,
              loads: stats.loads,
              errors: stats.errors,
              ...processMemory(),
            });
          }
        }
      }),
    );
    sendToParent({ type: 'done', ms: performance.now() - started, ...processMemory() });
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= Promise.resolve().then(() => {
      redis.disconnect();
      sendToParent({ type: 'stopped', ...processMemory() });
    }));
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line === 'go')
      run().catch((error: Error) => sendToParent({ type: 'error', message: error.message }));
    else if (line === 'stop') void stop();
  });
  lines.on('close', () => void stop());
}

try {
  main();
} catch (error) {
  sendToParent({ type: 'error', message: (error as Error).stack ?? String(error) });
  process.exitCode = 1;
}

/**
 * The cache benchmark, every scenario side by side in one run:
 *
 *   pnpm --filter @trackops/bench bench:cache              # full run, about 3 minutes
 *   pnpm --filter @trackops/bench bench:cache -- --quick   # smoke run, under a minute
 *
 * 1. hit    — cache-hit read throughput and p99 against raw ioredis GET of the same bytes;
 * 2. hotkey — hit ratio and database load with and without single-flight on a hot key;
 * 3. lag    — invalidation lag (commit → key invalidated) through the real connector, and
 *             stale entries after the stream drained (must be 0);
 * 4. rss    — a cache process's memory while a million distinct keys pass through.
 *
 * Needs the stack running (`npm run stack -- up`); it starts nothing and stops nothing.
 * Results: bench/results/cache-<timestamp>.json plus tables on stdout. See bench/README.md.
 */
import { check } from '@trackops/stack';
import { testKafka, uniqueName } from '@trackops/testkit/helpers';
import { Redis } from 'ioredis';
import { parseBenchArgs, positiveInt, selectedScenarios } from '../lib/args.js';
import { residentPeak } from '../lib/childProcess.js';
import { Cleanup } from '../lib/cleanup.js';
import { benchDatabase } from '../lib/context.js';
import { table, targetsSection, thousands, type Target } from '../lib/format.js';
import { elapsedLog, publishResult, reportHead, runMain, type ReportHead } from '../lib/report.js';
import { mb, round } from '../lib/stats.js';
import { runHit, type HitResult } from './hit.js';
import { runHotKey, type HotKeyResult } from './hotKey.js';
import { lagRound, runLag, type LagResult } from './lag.js';
import { spawnRssProcess } from './rssChild.js';

const usage = `usage: bench:cache [--quick] [--only hit,hotkey,lag,rss] [--hit-ops N] [--concurrency N]
       [--rounds N] [--hot-seconds S] [--lag-seconds S] [--lag-rate N] [--lag-readers N]
       [--lag-read-rate N] [--poll-ms MS] [--rss-keys N]`;

function parseOptions() {
  const values = parseBenchArgs(usage, {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    'hit-ops': { type: 'string' },
    concurrency: { type: 'string' },
    rounds: { type: 'string' },
    'hot-seconds': { type: 'string' },
    'lag-seconds': { type: 'string' },
    'lag-rate': { type: 'string' },
    'poll-ms': { type: 'string' },
    'lag-readers': { type: 'string' },
    'lag-read-rate': { type: 'string' },
    'rss-keys': { type: 'string' },
    help: { type: 'boolean', default: false },
  });
  const quick = values.quick;
  const int = (name: keyof typeof values, full: number, smoke: number): number =>
    positiveInt(values[name], name, quick ? smoke : full, usage);
  return {
    quick,
    scenarios: selectedScenarios(values.only, ['hit', 'hotkey', 'lag', 'rss'], usage),
    hitOps: int('hit-ops', 200_000, 50_000),
    concurrency: int('concurrency', 32, 32),
    rounds: int('rounds', 3, 1),
    hotSeconds: int('hot-seconds', 5, 2),
    lagSeconds: int('lag-seconds', 30, 8),
    lagRate: int('lag-rate', 200, 200),
    pollMs: int('poll-ms', 10, 10),
    lagReaders: values['lag-readers'] === '0' ? 0 : int('lag-readers', 8, 8),
    lagReadRate: int('lag-read-rate', 1_000, 1_000),
    rssKeys: int('rss-keys', 1_000_000, 200_000),
  };
}

type Options = ReturnType<typeof parseOptions>;

interface RssPoint {
  keys: number;
  vmRssMb: number;
  vmHwmMb: number;
  heapUsedMb: number;
  keysPerSecond: number;
}

interface Report extends ReportHead<'cache'> {
  hit?: { results: HitResult[]; ratioVsParse: number; ratioVsGet: number; valueBytes: number };
  hotkey?: { results: HotKeyResult[]; loadRatio: number };
  lag?: LagResult;
  rss?: { points: RssPoint[]; baselineMb: number; sampledPeakMb: number; growthRatio: number };
  targets: Target[];
  notes: string[];
}

async function runRss(
  redisUrl: string,
  options: Options,
  log: (message: string) => void,
): Promise<NonNullable<Report['rss']>> {
  await using cleanup = new Cleanup();
  const checkpoints = [0.1, 0.25, 0.5, 0.75, 1].map((f) => Math.round(options.rssKeys * f));
  const keyPrefix = `${uniqueName('bench_cache_rss')}:`;
  const child = await spawnRssProcess({
    redisUrl,
    keyPrefix,
    keys: options.rssKeys,
    concurrency: 64,
    checkpoints,
  });
  cleanup.defer('stop cache process', async () => void (await child.stop()));
  const ready = await child.next('ready', 60_000);
  using sampler = residentPeak(child.pid, 50);
  child.go();
  const points: RssPoint[] = [];
  for (const _ of checkpoints) {
    const point = await child.next('checkpoint', 10 * 60_000);
    if (point.errors > 0) throw new Error(`cache process saw ${point.errors} Redis errors`);
    points.push({
      keys: point.keys,
      vmRssMb: mb(point.vmRssKb),
      vmHwmMb: mb(point.vmHwmKb),
      heapUsedMb: mb(point.heapUsedKb),
      keysPerSecond: Math.round(point.keys / (point.ms / 1000)),
    });
    log(`rss: ${thousands(point.keys)} keys → RSS ${mb(point.vmRssKb)} MB`);
  }
  await child.next('done', 60_000);
  const first = points[0]!;
  const last = points[points.length - 1]!;
  return {
    points,
    baselineMb: mb(ready.vmHwmKb),
    sampledPeakMb: mb(sampler.peakKb),
    growthRatio: round(last.vmHwmMb / first.vmHwmMb, 3),
  };
}

function targets(report: Report): Report['targets'] {
  const list: Report['targets'] = [];
  if (report.hit)
    list.push(
      {
        name: 'hit throughput vs raw GET + JSON.parse',
        target: '≥ 0.80×',
        measured: `${report.hit.ratioVsParse.toFixed(2)}×`,
        met: report.hit.ratioVsParse >= 0.8,
      },
      {
        name: 'hit throughput, bytes: cache vs raw GET',
        target: '≥ 0.80×',
        measured: `${report.hit.ratioVsGet.toFixed(2)}×`,
        met: report.hit.ratioVsGet >= 0.8,
      },
    );
  if (report.lag) {
    list.push({
      name: 'invalidation lag p99 (commit → invalidated)',
      target: '≤ 100 ms',
      measured: `${report.lag.lagMs.p99.toFixed(1)} ms`,
      met: report.lag.lagMs.p99 <= 100,
    });
    list.push({
      name: 'stale entries after drain',
      target: '0',
      measured: String(report.lag.staleAfterDrain),
      met: report.lag.staleAfterDrain === 0 && report.lag.missing === 0,
    });
  }
  if (report.rss)
    list.push({
      name: `rss: peak at 10× the keys`,
      target: 'flat (≤ 1.25×)',
      measured: `${report.rss.growthRatio.toFixed(2)}×`,
      met: report.rss.growthRatio <= 1.25,
    });
  return list;
}

function formatReport(report: Report): string {
  const parts = [
    `Cache benchmark — ${report.startedAt} — ${report.machine['cpus']} CPUs, ${report.machine['node']}`,
  ];
  if (report.hit)
    parts.push(
      `\nHits: ${thousands(Number(report.options['hitOps']))} reads per system and round, ${String(report.options['concurrency'])} in flight, ${report.hit.valueBytes}-byte JSON value`,
      table(
        ['round', 'system', 'reads/s', 'p50 µs', 'p99 µs', 'p99.9 µs'],
        report.hit.results.map((r) => [
          String(r.round),
          r.system,
          thousands(r.opsPerSecond),
          r.latencyUs.p50.toFixed(0),
          r.latencyUs.p99.toFixed(0),
          r.latencyUs.p999.toFixed(0),
        ]),
      ),
      `cache-hit ÷ raw GET+parse ${report.hit.ratioVsParse.toFixed(2)}×, cache-hit-bytes ÷ raw GET ${report.hit.ratioVsGet.toFixed(2)}× (medians over rounds)`,
    );
  if (report.hotkey)
    parts.push(
      `\nHot key: 80 % of reads on one key invalidated every 20 ms, ${String(report.options['concurrency'])} readers, loader = a 2 ms PostgreSQL query`,
      table(
        ['system', 'reads', 'hit ratio', 'loads', 'loads/s', 'hot-key loads', 'p50 ms', 'p99 ms'],
        report.hotkey.results.map((r) => [
          r.system,
          thousands(r.reads),
          `${(r.hitRatio * 100).toFixed(2)}%`,
          thousands(r.loads),
          thousands(r.loadsPerSecond),
          thousands(r.hotLoads),
          r.latencyMs.p50.toFixed(2),
          r.latencyMs.p99.toFixed(2),
        ]),
      ),
      `database load without single-flight ÷ with: ${report.hotkey.loadRatio.toFixed(2)}×`,
    );
  if (report.lag) {
    const l = report.lag;
    parts.push(
      `\nInvalidation lag through Debezium: ${thousands(l.measured)} updates counted (${thousands(l.committed)} committed), ${l.missing} missing`,
      table(
        ['p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms'],
        [
          [l.lagMs.p50, l.lagMs.p90, l.lagMs.p99, l.lagMs.p999, l.lagMs.max].map((v) =>
            v.toFixed(1),
          ),
        ],
      ),
      `over 100 ms: ${l.slow.count} (commits between ${l.slow.firstAtS} s and ${l.slow.lastAtS} s into the run)`,
      `readers: ${thousands(l.reads)} reads, ${l.readerErrors} errors; after drain ${l.checked} entries checked, ${l.staleAfterDrain} stale`,
      `connector: ${Object.entries(l.connector)
        .filter(([k]) => !k.includes('converter'))
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}; consumer ${JSON.stringify(l.consumerConfig)}`,
    );
  }
  if (report.rss)
    parts.push(
      `\nMemory of a cache process (MB = MiB) while distinct keys pass through`,
      table(
        ['keys', 'VmRSS', 'VmHWM', 'heap used', 'keys/s'],
        report.rss.points.map((p) => [
          thousands(p.keys),
          p.vmRssMb.toFixed(1),
          p.vmHwmMb.toFixed(1),
          p.heapUsedMb.toFixed(1),
          thousands(p.keysPerSecond),
        ]),
      ),
      `baseline ${report.rss.baselineMb} MB, sampled peak ${report.rss.sampledPeakMb} MB, growth ${report.rss.growthRatio.toFixed(2)}× from the first to the last checkpoint`,
    );
  parts.push(...targetsSection(report.targets, report.notes));
  return parts.join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions();
  const stack = await check();
  const kafka = testKafka(stack.KAFKA_BROKERS, 'trackops-bench');
  const redis = new Redis(stack.REDIS_URL);
  const keyPrefix = `${uniqueName('bench_cache')}:`;
  const started = Date.now();
  const log = elapsedLog(started);
  const report: Report = {
    ...reportHead('cache', started, options),
    targets: [],
    notes: [
      'hit: one ioredis client for all systems; cache-hit = cache.getOrLoad on a cached key (GET, header check, JSON.parse, stats, breaker and a timeout timer per command); raw-get+parse = redis.get + JSON.parse of the same bytes; cache-hit-bytes = the same with an identity serializer (Buffer in, Buffer out); raw-get = redis.getBuffer alone. Rounds alternate the order.',
      'All caches here use commandTimeoutMs 5000 (default 250): on a shared machine a Redis reply can take longer than 250 ms, and a read that falls back to the loader is not a hit; the fallbacks are measured by the tests.',
      'hotkey: each system has its own namespace; without single-flight, concurrent misses of the hot key each load (the lease still lets only one fill).',
      'lag: the invalidator runs in the benchmark process; lag = cache:invalidated event − commit acknowledgement of the writer (one update per transaction, a new row each time round-robin).',
      'rss: the cache in a process of its own (tsx loader included in the baseline); every 10th key tagged, every 50th negative, every 100th invalidated; TTL 2 s so Redis does not keep them.',
    ],
  };

  Cleanup.onInterrupt();
  const cleanup = new Cleanup();
  cleanup.defer('delete benchmark keys', async () => {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  });
  try {
    if (options.scenarios.has('hit')) {
      report.hit = await runHit(
        redis,
        keyPrefix,
        {
          ops: options.hitOps,
          concurrency: options.concurrency,
          rounds: options.rounds,
          keys: 1_000,
        },
        log,
      );
    }
    if (options.scenarios.has('hotkey')) {
      const db = await benchDatabase(stack.DATABASE_URL, cleanup, 'bench_cache_hot');
      const results: HotKeyResult[] = [];
      for (const system of ['single-flight', 'no-single-flight'] as const) {
        const result = await runHotKey(redis, db.pool, keyPrefix, system, {
          seconds: options.hotSeconds,
          concurrency: options.concurrency,
          keys: 1_000,
          invalidateEveryMs: 20,
        });
        results.push(result);
        log(`hotkey: ${system} hit ratio ${result.hitRatio}, ${result.loadsPerSecond} loads/s`);
      }
      report.hotkey = {
        results,
        loadRatio: round(results[1]!.loadsPerSecond / results[0]!.loadsPerSecond, 2),
      };
    }
    if (options.scenarios.has('lag')) {
      const result = await runLag(
        stack,
        kafka,
        redis,
        keyPrefix,
        {
          ratePerSecond: options.lagRate,
          seconds: options.lagSeconds,
          warmupSeconds: Math.min(5, Math.floor(options.lagSeconds / 4)),
          rows: 2_000,
          readers: options.lagReaders,
          readRate: options.lagReadRate,
          pollIntervalMs: options.pollMs,
        },
        log,
      );
      report.lag = { ...result, lagMs: lagRound(result.lagMs) };
    }
    if (options.scenarios.has('rss')) report.rss = await runRss(stack.REDIS_URL, options, log);
  } finally {
    await cleanup.run();
    await Cleanup.runPending();
    redis.disconnect();
  }
  report.finishedAt = new Date().toISOString();
  report.targets = targets(report);
  publishResult(report, () => formatReport(report));
}

runMain(main);

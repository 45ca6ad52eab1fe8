/**
 * The CDC consumer benchmark: `createCdcConsumer` against a bare kafkajs consumer on the same
 * topic, and the consumer's peak memory catching up on two sizes of lag, in one run.
 *
 *   pnpm --filter @trackops/bench bench:cdc-consumer              # 100,000 records
 *   pnpm --filter @trackops/bench bench:cdc-consumer -- --quick   # 10,000 records
 *
 * Needs the stack running (`npm run stack -- up`); it starts nothing and stops nothing.
 * Results: bench/results/cdc-consumer-<timestamp>.json plus tables on stdout. See
 * bench/README.md ("CDC consumer").
 */
import { createTopics, uniqueName } from '@trackops/testkit/helpers';
import type { Admin, Kafka } from 'kafkajs';
import { measureChild } from '../lib/childProcess.js';
import { Cleanup } from '../lib/cleanup.js';
import { openBenchContext } from '../lib/context.js';
import { table, targetsSection, thousands, type Target } from '../lib/format.js';
import { publishResult, reportHead, runMain, type ReportHead } from '../lib/report.js';
import { mb, median, round } from '../lib/stats.js';
import { spawnConsumer } from './consumerChild.js';
import { runBare, runCdc, type RateResult } from './consumerRate.js';
import {
  fixtureFiles,
  loadRecords,
  produceRecords,
  tombstonesIn,
  type RecordSet,
} from './consumerRecords.js';
import { parseBenchArgs, positiveInt, positiveIntList, selectedScenarios } from '../lib/args.js';

const usage = `usage: bench:cdc-consumer [--quick] [--records N] [--rounds N] [--rss-lags N,N]
       [--partitions N] [--only rate,rss] [--cpu-prof DIR]`;

function parseOptions() {
  const values = parseBenchArgs(usage, {
    quick: { type: 'boolean', default: false },
    records: { type: 'string' },
    rounds: { type: 'string' },
    'rss-lags': { type: 'string' },
    partitions: { type: 'string' },
    only: { type: 'string' },
    'cpu-prof': { type: 'string' },
    help: { type: 'boolean', default: false },
  });
  const quick = values.quick;
  const int = (name: keyof typeof values, full: number, smoke: number): number =>
    positiveInt(values[name], name, quick ? smoke : full, usage);
  const scenarios = selectedScenarios(values.only, ['rate', 'rss'], usage);
  const records = int('records', 100_000, 10_000);
  const rssLags = positiveIntList(
    values['rss-lags'],
    'rss-lags',
    quick ? '1000,10000' : '10000,100000',
    usage,
    'two',
  );
  return {
    quick,
    scenarios,
    records,
    rounds: int('rounds', 3, 1),
    rssLags: rssLags as [number, number],
    partitions: int('partitions', 3, 3),
    /** Write a V8 CPU profile of each RSS consumer process to this directory. */
    cpuProf: values['cpu-prof'],
  };
}

type Options = ReturnType<typeof parseOptions>;

interface RssResult {
  lag: number;
  /** VmHWM once modules are loaded and the consumer is created, before `start()`. */
  baselineMb: number;
  /** VmHWM after catching up: the process's peak. */
  peakMb: number;
  /** Highest VmRSS sampled (every 20 ms) while catching up. */
  sampledPeakMb: number;
  /** Peak minus baseline: what catching up added. */
  catchUpDeltaMb: number;
  /** V8 heap in use when caught up (before stop): what the records left live. */
  heapUsedMb: number;
  /** Catch-up rate in this process (`start()` → `lag` records handled). */
  recordsPerSecond: number;
}

interface Report extends ReportHead<'cdc-consumer'> {
  workload: Record<string, unknown>;
  rate?: {
    results: RateResult[];
    /** cdc-consumer ÷ bare-kafkajs per round, then their median. */
    ratios: number[];
    ratio: number;
  };
  rss?: { results: RssResult[]; peakRatio: number; lagRatio: number };
  targets: Target[];
  notes: string[];
}

interface Context {
  kafka: Kafka;
  admin: Admin;
  brokers: string;
  set: RecordSet;
  log: (message: string) => void;
}

/** A fresh topic holding `count` records; deleted (with the groups that read it) at cleanup. */
async function filledTopic(
  ctx: Context,
  cleanup: Cleanup,
  count: number,
  partitions: number,
  groups: string[],
): Promise<string> {
  const topic = uniqueName('bench_cdc_consumer');
  await createTopics(ctx.kafka, [topic], partitions);
  cleanup.defer(`delete topic ${topic}`, async () => {
    const existing = new Set(await ctx.admin.listTopics());
    const topics = [topic, `${topic}.dlq`].filter((name) => existing.has(name));
    if (topics.length > 0) await ctx.admin.deleteTopics({ topics });
  });
  cleanup.defer(`delete groups of ${topic}`, async () => {
    if (groups.length > 0) await ctx.admin.deleteGroups(groups);
  });
  const ms = await produceRecords(ctx.kafka, topic, ctx.set, count, partitions);
  ctx.log(`produced ${thousands(count)} records to ${topic} in ${(ms / 1000).toFixed(1)} s`);
  return topic;
}

async function runRate(ctx: Context, options: Options): Promise<NonNullable<Report['rate']>> {
  await using cleanup = new Cleanup();
  const groups: string[] = [];
  const topic = await filledTopic(ctx, cleanup, options.records, options.partitions, groups);
  const tombstones = tombstonesIn(ctx.set, options.records);
  const timeoutMs = 10 * 60_000;
  const results: RateResult[] = [];
  const ratios: number[] = [];
  for (let round_ = 1; round_ <= options.rounds; round_++) {
    // Alternate which system goes first, so a warming broker or page cache favours neither.
    const order = round_ % 2 === 1 ? (['bare', 'cdc'] as const) : (['cdc', 'bare'] as const);
    const pair: Partial<Record<'bare' | 'cdc', RateResult>> = {};
    for (const system of order) {
      const result =
        system === 'bare'
          ? await runBare(ctx.kafka, topic, options.records, round_, timeoutMs)
          : await runCdc(ctx.kafka, topic, options.records, tombstones, round_, timeoutMs);
      groups.push(result.groupId);
      results.push(result);
      pair[system] = result;
      ctx.log(
        `round ${round_}: ${result.system} ${thousands(result.recordsPerSecond)} records/s (${result.seconds} s)`,
      );
    }
    ratios.push(round(pair.cdc!.recordsPerSecond / pair.bare!.recordsPerSecond, 3));
  }
  return { results, ratios, ratio: round(median(ratios), 3) };
}

async function measureRss(ctx: Context, lag: number, options: Options): Promise<RssResult> {
  await using cleanup = new Cleanup();
  const groupId = uniqueName('bench_cdc_rss');
  const topic = await filledTopic(ctx, cleanup, lag, options.partitions, [groupId]);
  const child = await spawnConsumer(
    { brokers: ctx.brokers, topic, groupId, expected: lag - tombstonesIn(ctx.set, lag) },
    options.cpuProf === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProf}`],
  );
  cleanup.defer('stop consumer process', async () => void (await child.stop()));
  const { done: caughtUp, ...memory } = await measureChild(child, 20, () =>
    child.next('caught-up', 10 * 60_000),
  );
  if (child.errors.length > 0) throw new Error(`consumer errors: ${child.errors.join('; ')}`);
  return {
    lag,
    baselineMb: memory.baselineMb,
    peakMb: memory.peakMb,
    sampledPeakMb: memory.sampledPeakMb,
    catchUpDeltaMb: memory.addedMb,
    heapUsedMb: mb(caughtUp.heapUsedKb),
    recordsPerSecond: Math.round(lag / (caughtUp.ms / 1000)),
  };
}

async function runRss(ctx: Context, options: Options): Promise<NonNullable<Report['rss']>> {
  const results: RssResult[] = [];
  for (const lag of options.rssLags) {
    const result = await measureRss(ctx, lag, options);
    results.push(result);
    ctx.log(
      `rss: lag ${thousands(lag)} → peak ${result.peakMb} MB (baseline ${result.baselineMb} MB)`,
    );
  }
  const [small, large] = results as [RssResult, RssResult];
  return {
    results,
    peakRatio: round(large.peakMb / small.peakMb, 3),
    lagRatio: large.lag / small.lag,
  };
}

function targets(report: Report): Target[] {
  const list: Target[] = [];
  if (report.rate)
    list.push({
      name: 'rate: consumer vs bare kafkajs',
      target: '≥ 0.80×',
      measured: `${report.rate.ratio.toFixed(2)}×`,
      met: report.rate.ratio >= 0.8,
    });
  if (report.rss)
    list.push({
      name: `rss: peak at ${report.rss.lagRatio}× the lag`,
      target: 'bounded (≤ 1.25×)',
      measured: `${report.rss.peakRatio.toFixed(2)}×`,
      met: report.rss.peakRatio <= 1.25,
    });
  return list;
}

function formatReport(report: Report): string {
  const parts = [
    `CDC consumer benchmark — ${report.startedAt} — ${report.machine['cpus']} CPUs, ${report.machine['node']}`,
    `records: ${String(report.workload['description'])}`,
  ];
  if (report.rate) {
    const ratioOf = (r: RateResult): string =>
      r.system === 'bare-kafkajs' ? '1.00' : report.rate!.ratios[r.round - 1]!.toFixed(2);
    parts.push(
      `\nRate: ${thousands(Number(report.options['records']))} records, first record → last record`,
      table(
        ['round', 'system', 'seconds', 'records/s', 'consumer ÷ bare', 'wall s', 'failed'],
        report.rate.results.map((r) => [
          String(r.round),
          r.system,
          r.seconds.toFixed(2),
          thousands(r.recordsPerSecond),
          ratioOf(r),
          r.wallSeconds.toFixed(2),
          String(r.failed),
        ]),
      ),
    );
  }
  if (report.rss)
    parts.push(
      `\nConsumer memory (own process; MB = MiB)`,
      table(
        [
          'lag',
          'baseline',
          'peak (VmHWM)',
          'sampled peak',
          'catch-up adds',
          'heap used',
          'records/s',
        ],
        report.rss.results.map((r) => [
          thousands(r.lag),
          r.baselineMb.toFixed(1),
          r.peakMb.toFixed(1),
          r.sampledPeakMb.toFixed(1),
          r.catchUpDeltaMb.toFixed(1),
          r.heapUsedMb.toFixed(1),
          thousands(r.recordsPerSecond),
        ]),
      ),
      `peak ratio ${report.rss.peakRatio.toFixed(2)} for ${report.rss.lagRatio}× the lag`,
    );
  parts.push(...targetsSection(report.targets, report.notes));
  return parts.join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions();
  const { stack, kafka, admin, log, started } = await openBenchContext();
  const set = loadRecords();
  const ctx: Context = { kafka, admin, brokers: stack.KAFKA_BROKERS, set, log };
  const report: Report = {
    ...reportHead('cdc-consumer', started, options),
    workload: {
      description: `${set.messages.length} Debezium records of ${fixtureFiles.join(', ')} (key, value, headers verbatim; ${set.tombstones} tombstones), cycled; mean ${set.meanBytes} key + value bytes`,
      fixtures: [...fixtureFiles],
      distinctRecords: set.messages.length,
      tombstonesPerCycle: set.tombstones,
      meanBytes: set.meanBytes,
    },
    targets: [],
    notes: [
      `Records produced with a plain kafkajs producer (240 per send, default acks) to a fresh ${options.partitions}-partition topic, spread round-robin over the partitions.`,
      'Rate: both systems read the same topic from its beginning with a consumer group of their own, one after the other (order alternates by round); the clock runs from the first record in hand to the last record done, so it leaves out connect and the group join (wall s includes them).',
      'bare-kafkajs: consumer.run({ eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch }) with JSON.parse(value.toString()), resolveOffset and heartbeat per record, default autoCommit and consumer settings.',
      'cdc-consumer: createCdcConsumer({ kafka, groupId, tables: { [topic]: noOp }, fromBeginning: true }); every other option at its default (untyped decoding, tombstones skipped, retry 3 × 200 ms, deadLetter on — so a dead-letter producer is connected —, partitionsConsumedConcurrently 1, no consumerConfig: kafkajs defaults).',
      'RSS: the consumer (same settings) in a process of its own per lag, on a topic of its own; peak = VmHWM, cross-checked by sampling VmRSS every 20 ms.',
    ],
  };

  Cleanup.onInterrupt();

  try {
    if (options.scenarios.has('rate')) report.rate = await runRate(ctx, options);
    if (options.scenarios.has('rss')) report.rss = await runRss(ctx, options);
  } finally {
    await Cleanup.runPending();
    await admin.disconnect();
  }
  report.finishedAt = new Date().toISOString();
  report.targets = targets(report);
  publishResult(report, () => formatReport(report));
}

runMain(main);

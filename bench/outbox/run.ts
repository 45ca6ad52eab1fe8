/**
 * The outbox benchmark: relay vs raw kafkajs vs Debezium's Outbox Event Router, in one run.
 *
 *   pnpm --filter @trackops/bench bench:outbox              # full: 100k drain, 60 s latency, RSS
 *   pnpm --filter @trackops/bench bench:outbox -- --quick   # ~1 minute smoke run
 *
 * Needs the stack running (`npm run stack -- up`); it starts nothing and stops nothing.
 * Results: bench/results/outbox-<timestamp>.json plus tables on stdout. See bench/README.md.
 */
import pg from 'pg';
import { Cleanup } from '../lib/cleanup.js';
import { openBenchContext, type BenchContext } from '../lib/context.js';
import { machineInfo, publishResult, reportHead, runMain } from '../lib/report.js';
import { runDrain } from './drain.js';
import { runLatency, type LatencyResult } from './latency.js';
import {
  drainRatios,
  formatReport,
  latencyRatios,
  reportJson,
  targets,
  type OutboxBenchReport,
} from './report.js';
import { runRss } from './rss.js';
import { parseBenchArgs, positiveInt, positiveIntList, selectedScenarios } from '../lib/args.js';

const usage = `usage: bench:outbox [--quick] [--events N] [--batch-size N] [--latency-seconds S]
       [--latency-rate N] [--warmup-seconds S] [--rss-backlogs N,N] [--no-router-snapshot]
       [--router-tuned-poll-ms MS] [--no-router-tuned] [--only drain,latency,rss]`;

function parseOptions() {
  const values = parseBenchArgs(usage, {
    quick: { type: 'boolean', default: false },
    events: { type: 'string' },
    'batch-size': { type: 'string' },
    'latency-seconds': { type: 'string' },
    'latency-rate': { type: 'string' },
    'warmup-seconds': { type: 'string' },
    'rss-backlogs': { type: 'string' },
    'no-router-snapshot': { type: 'boolean', default: false },
    'router-tuned-poll-ms': { type: 'string' },
    'no-router-tuned': { type: 'boolean', default: false },
    only: { type: 'string' },
    help: { type: 'boolean', default: false },
  });
  const quick = values.quick;
  const int = (name: keyof typeof values, full: number, smoke: number): number =>
    positiveInt(values[name], name, quick ? smoke : full, usage);
  const scenarios = selectedScenarios(values.only, ['drain', 'latency', 'rss'], usage);
  const rssBacklogs = positiveIntList(
    values['rss-backlogs'],
    'rss-backlogs',
    quick ? '1000,10000' : '10000,100000',
    usage,
  );
  return {
    quick,
    scenarios,
    events: int('events', 100_000, 10_000),
    // The relay's default batch size; raw kafkajs sends the same number of records per call.
    batchSize: int('batch-size', 500, 500),
    latencySeconds: int('latency-seconds', 60, 10),
    latencyRate: int('latency-rate', 1000, 1000),
    warmupSeconds: int('warmup-seconds', 5, 2),
    // 10 events per commit at 1,000/s is one commit every 10 ms.
    perCommit: 10,
    rssBacklogs,
    routerSnapshot: !values['no-router-snapshot'],
    routerTuned: !values['no-router-tuned'],
    routerTunedPollMs: int('router-tuned-poll-ms', 10, 10),
  };
}

async function machine(ctx: BenchContext): Promise<Record<string, string | number>> {
  const client = new pg.Client({ connectionString: ctx.stack.DATABASE_URL });
  await client.connect();
  const postgres = (await client.query<{ server_version: string }>('show server_version')).rows[0]!
    .server_version;
  await client.end();
  const connect = (await (await fetch(ctx.stack.CONNECT_URL)).json()) as { version: string };
  const plugins = (await (
    await fetch(`${ctx.stack.CONNECT_URL}/connector-plugins`)
  ).json()) as Array<{
    class: string;
    version: string;
  }>;
  return {
    ...machineInfo(),
    postgres,
    kafka: connect.version,
    debezium:
      plugins.find((p) => p.class === 'io.debezium.connector.postgresql.PostgresConnector')
        ?.version ?? 'unknown',
  };
}

async function main(): Promise<void> {
  const options = parseOptions();
  const { started, ...ctx } = await openBenchContext();
  const report: OutboxBenchReport = {
    ...reportHead('outbox', started, options, await machine(ctx)),
    targets: [],
    notes: [
      'Each system ran once, one after the other, on its own database and 3-partition topics.',
      'Drain: relay and raw kafkajs use the same producer settings (idempotent, maxInFlightRequests 1, acks -1) and records per sendBatch.',
      'Drain: the router is timed on its streaming path (registered with no_data, slot active, backlog committed in one transaction, clock from commit), the path it relays on in production; router-snapshot (snapshot.mode=initial on the filled table) includes connector start.',
      'Latency: relay in its own process with default options (LISTEN/NOTIFY wake-ups, pollIntervalMs 1000); router with the defaults debeziumOutboxConnector sets (Debezium poll.interval.ms 500, max.batch.size 2048); router-tuned is the same connector with poll.interval.ms lowered (see options.routerTunedPollMs).',
      'PostgreSQL of the local stack runs with fsync=off: commits are cheaper than on a durable server.',
    ],
  };

  Cleanup.onInterrupt();

  try {
    if (options.scenarios.has('drain')) {
      const drain = await runDrain(ctx, options);
      report.drain = { ...drain, ratios: drainRatios(drain.results) };
    }
    if (options.scenarios.has('latency')) {
      const results: LatencyResult[] = [];
      const systems: Array<LatencyResult['system']> = [
        'relay',
        'router',
        ...(options.routerTuned ? ['router-tuned' as const] : []),
      ];
      for (const system of systems)
        results.push(
          await runLatency(ctx, system, {
            ratePerSecond: options.latencyRate,
            seconds: options.latencySeconds,
            warmupSeconds: options.warmupSeconds,
            perCommit: options.perCommit,
            batchSize: options.batchSize,
            tunedPollMs: options.routerTunedPollMs,
          }),
        );
      report.latency = { results, ratios: latencyRatios(results) };
    }
    if (options.scenarios.has('rss'))
      report.rss = await runRss(ctx, {
        backlogs: options.rssBacklogs,
        batchSize: options.batchSize,
      });
  } finally {
    await Cleanup.runPending();
    await ctx.admin.disconnect();
  }
  report.finishedAt = new Date().toISOString();
  report.targets = targets(report);
  publishResult(report, () => formatReport(report), reportJson(report));
}

runMain(main);

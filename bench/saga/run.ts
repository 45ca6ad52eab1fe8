/**
 * The saga benchmark: completed three-step order sagas per second and their duration end to
 * end, `@trackops/saga` against a hand-written baseline doing the same transactions and Kafka
 * round trips (baseline.ts: outbox, relay, inbox, step log), in one run — and, for
 * information, `bare` (bare.ts: the same without outbox and step log); then the
 * orchestrator's memory with many sagas waiting on replies.
 *
 *   pnpm --filter @trackops/bench bench:saga              # full run, about 2 minutes
 *   pnpm --filter @trackops/bench bench:saga -- --quick   # smoke run, under a minute
 *
 * Needs the stack running (`npm run stack -- up`); it starts nothing and stops nothing.
 * Results: bench/results/saga-<timestamp>.json plus tables on stdout. See bench/README.md.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { uniqueName } from '@trackops/testkit/helpers';
import { parseBenchArgs, positiveInt, positiveIntList, selectedScenarios } from '../lib/args.js';
import {
  residentKb,
  residentPeak,
  spawnBenchChild,
  type BenchChild,
  type ProcessMemory,
} from '../lib/childProcess.js';
import { Cleanup } from '../lib/cleanup.js';
import { openBenchContext, type BenchContext } from '../lib/context.js';
import { table, targetsSection, thousands } from '../lib/format.js';
import { publishResult, reportHead, runMain } from '../lib/report.js';
import { mb, median, round } from '../lib/stats.js';
import type pg from 'pg';
import type { RelaySettings } from '@trackops/saga';
import type { LoadResult, SagaProcessConfig } from './sagaProcess.js';
import { sagaDatabase, sagaSystems, type SagaSystem } from './workload.js';

const usage = `usage: bench:saga [--quick] [--sagas N] [--concurrency N] [--warmup N] [--rounds N]
       [--partitions N] [--pool-size N] [--rss-waiting N,N] [--only load,rss]
       [--systems library,baseline[,bare]]  (the load's systems; default library,baseline)
       [--relay JSON]  (the library's relay settings, e.g. '{"listen":false,"pollIntervalMs":20}')`;

/** The systems `--systems a,b` names, in that order (library and baseline when not given). */
function selectedSystems(raw: unknown): SagaSystem[] {
  const list = (typeof raw === 'string' ? raw : 'library,baseline').split(',');
  for (const system of list) {
    if (!sagaSystems.includes(system as SagaSystem))
      throw new Error(`--systems: unknown system "${system}"\n${usage}`);
  }
  if (new Set(list).size !== list.length || list.length === 0)
    throw new Error(`--systems: name each system once\n${usage}`);
  return list as SagaSystem[];
}

function parseOptions() {
  const values = parseBenchArgs(usage, {
    quick: { type: 'boolean', default: false },
    sagas: { type: 'string' },
    concurrency: { type: 'string' },
    warmup: { type: 'string' },
    rounds: { type: 'string' },
    partitions: { type: 'string' },
    'pool-size': { type: 'string' },
    'rss-waiting': { type: 'string' },
    relay: { type: 'string' },
    systems: { type: 'string' },
    only: { type: 'string' },
    help: { type: 'boolean', default: false },
  });
  const quick = values.quick;
  const int = (name: keyof typeof values, full: number, smoke: number): number =>
    positiveInt(values[name], name, quick ? smoke : full, usage);
  const rssWaiting = positiveIntList(
    values['rss-waiting'],
    'rss-waiting',
    quick ? '1000,3000' : '1000,10000',
    usage,
  );
  return {
    quick,
    scenarios: selectedScenarios(values.only, ['load', 'rss'], usage),
    systems: selectedSystems(values.systems),
    sagas: int('sagas', 5_000, 2_000),
    concurrency: int('concurrency', 200, 200),
    warmup: int('warmup', 500, 200),
    rounds: int('rounds', 2, 1),
    partitions: int('partitions', 6, 6),
    poolSize: int('pool-size', 20, 20),
    rssWaiting: rssWaiting.sort((a, b) => a - b),
    relay: values.relay === undefined ? undefined : (JSON.parse(values.relay) as RelaySettings),
  };
}
type Options = ReturnType<typeof parseOptions>;

type SagaMessage =
  | ({ type: 'ready' } & ProcessMemory)
  | ({ type: 'started' } & ProcessMemory)
  | ({ type: 'done'; result: LoadResult } & ProcessMemory)
  | ({ type: 'waiting'; waiting: number; beginMs: number; beforeGc: ProcessMemory } & ProcessMemory)
  | ({ type: 'stopped' } & ProcessMemory)
  | { type: 'error'; message: string };

const entry = fileURLToPath(new URL('./sagaProcess.ts', import.meta.url));

async function spawnService(
  cleanup: Cleanup,
  config: SagaProcessConfig,
  nodeArgs: readonly string[] = [],
): Promise<BenchChild<SagaMessage>> {
  const child = await spawnBenchChild<SagaMessage>(
    `${config.system} ${config.role}`,
    entry,
    config,
    nodeArgs,
  );
  cleanup.defer(`stop ${config.system} ${config.role}`, async () => void (await child.stop()));
  child.go();
  await child.next('started', 60_000);
  return child;
}

interface LoadRun extends LoadResult {
  system: SagaSystem;
  round: number;
  /** Orchestrator process VmHWM at the end of the run. */
  orchestratorPeakMb: number;
  /**
   * CPU time per completed saga (user + system, whole run including warm-up), ms: of the
   * orchestrator process, the participants process, and the PostgreSQL backends of the run's
   * database. On a shared machine this says more than the rate: it is what the work costs.
   */
  cpuMsPerSaga: { orchestrator: number; participants: number; postgres: number };
  errors: string[];
}

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and
    // 13th, in clock ticks of 1/100 s on Linux.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

async function backendsCpu(db: { pool: pg.Pool; name: string }): Promise<number> {
  const { rows } = await db.pool.query<{ pid: number }>(
    'select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
    [db.name],
  );
  return rows.reduce((sum, row) => sum + cpuSeconds(row.pid), 0);
}

async function runLoad(
  ctx: BenchContext,
  options: Options,
  system: SagaSystem,
  round_: number,
): Promise<LoadRun> {
  await using cleanup = new Cleanup();
  const prefix = uniqueName(`bench_saga_${system}`);
  const db = await sagaDatabase(ctx, cleanup, system, prefix, options.partitions);
  const common = {
    system,
    databaseUrl: db.url,
    brokers: ctx.stack.KAFKA_BROKERS,
    prefix,
    poolSize: options.poolSize,
    partitions: options.partitions,
    relay: options.relay,
  };
  const participants = await spawnService(cleanup, { ...common, role: 'participants' });
  const orchestrator = await spawnService(cleanup, {
    ...common,
    role: 'orchestrator',
    load: { sagas: options.sagas, concurrency: options.concurrency, warmup: options.warmup },
  });
  const cpuBefore = {
    // Taken once the orchestrator reported `started`: its load begins right after.
    orchestrator: cpuSeconds(orchestrator.pid),
    participants: cpuSeconds(participants.pid),
    postgres: await backendsCpu(db),
  };
  const done = await orchestrator.next('done', 15 * 60_000);
  const perSaga = (seconds: number): number => round((seconds * 1000) / options.sagas, 3);
  const cpuMsPerSaga = {
    orchestrator: perSaga(cpuSeconds(orchestrator.pid) - cpuBefore.orchestrator),
    participants: perSaga(cpuSeconds(participants.pid) - cpuBefore.participants),
    // Backends of the run's database that are still connected (the pools keep them open).
    postgres: perSaga((await backendsCpu(db)) - cpuBefore.postgres),
  };
  // The library reports a saga ended just before its last transaction commits: allow for it.
  let confirmed = 0;
  for (let tries = 0; tries < 50 && confirmed !== options.sagas; tries++) {
    if (tries > 0) await sleep(100);
    const { rows } = await db.pool.query<{ n: number }>(
      `select count(*)::int as n from orders.orders where status = 'CONFIRMED'`,
    );
    confirmed = rows[0]!.n;
  }
  if (confirmed !== options.sagas)
    throw new Error(`${system}: ${confirmed} of ${options.sagas} orders confirmed`);
  return {
    system,
    round: round_,
    ...done.result,
    orchestratorPeakMb: mb(done.vmHwmKb),
    cpuMsPerSaga,
    errors: [...orchestrator.errors, ...participants.errors],
  };
}

interface RssPoint {
  waiting: number;
  /** VmRSS after a forced GC, MiB. */
  rssMb: number;
  rssBeforeGcMb: number;
  heapUsedMb: number;
  /** Highest VmRSS sampled (every 50 ms) up to this point. */
  sampledPeakMb: number;
  beginSeconds: number;
}

async function runRss(
  ctx: BenchContext,
  options: Options,
): Promise<{ startedMb: number; points: RssPoint[]; ratio: number }> {
  await using cleanup = new Cleanup();
  const prefix = uniqueName('bench_saga_rss');
  const db = await sagaDatabase(ctx, cleanup, 'library', prefix, options.partitions);
  const orchestrator = await spawnService(
    cleanup,
    {
      system: 'library',
      role: 'orchestrator',
      databaseUrl: db.url,
      brokers: ctx.stack.KAFKA_BROKERS,
      prefix,
      poolSize: options.poolSize,
      partitions: options.partitions,
      rss: { checkpoints: options.rssWaiting },
    },
    ['--expose-gc'],
  );
  using sampler = residentPeak(orchestrator.pid, 50);
  const started = residentKb(orchestrator.pid);
  const points: RssPoint[] = [];
  for (const expected of options.rssWaiting) {
    const point = await orchestrator.next('waiting', 10 * 60_000);
    if (point.waiting !== expected)
      throw new Error(`rss: ${point.waiting} sagas waiting, expected ${expected}`);
    points.push({
      waiting: point.waiting,
      rssMb: mb(point.vmRssKb),
      rssBeforeGcMb: mb(point.beforeGc.vmRssKb),
      heapUsedMb: mb(point.heapUsedKb),
      sampledPeakMb: mb(sampler.peakKb),
      beginSeconds: round(point.beginMs / 1000, 1),
    });
    ctx.log(
      `rss: ${point.waiting} sagas waiting → ${points.at(-1)!.rssMb} MiB settled (lowest RSS over 12 s idle, GC each second)`,
    );
  }
  return {
    startedMb: mb(started),
    points,
    ratio: round(points.at(-1)!.rssMb / points[0]!.rssMb, 3),
  };
}

/** The saga tables align every column but the first to the right. */
const allButFirst = (index: number): boolean => index > 0;

async function main(): Promise<void> {
  const options = parseOptions();
  const { started, ...ctx } = await openBenchContext();
  Cleanup.onInterrupt();
  const runs: LoadRun[] = [];
  let rss: Awaited<ReturnType<typeof runRss>> | undefined;
  try {
    if (options.scenarios.has('load')) {
      for (let round_ = 1; round_ <= options.rounds; round_++) {
        // Alternate the order of the systems, so a warming server favours none.
        const order = round_ % 2 === 1 ? options.systems : [...options.systems].reverse();
        for (const system of order) {
          const run = await runLoad(ctx, options, system, round_);
          runs.push(run);
          ctx.log(
            `round ${round_}: ${system} ${run.sagasPerSecond.toFixed(0)} sagas/s, p50 ${run.durationMs.p50.toFixed(1)} ms, p99 ${run.durationMs.p99.toFixed(1)} ms`,
          );
        }
      }
    }
    if (options.scenarios.has('rss')) rss = await runRss(ctx, options);
  } finally {
    await Cleanup.runPending();
    await ctx.admin.disconnect();
  }

  const ran = (system: SagaSystem): boolean => runs.some((run) => run.system === system);
  const rate = (system: SagaSystem) =>
    median(runs.filter((run) => run.system === system).map((run) => run.sagasPerSecond));
  /** Library sagas/s ÷ `other`'s, per round (empty unless both ran). */
  const ratiosTo = (other: SagaSystem): number[] =>
    ran('library') && ran(other)
      ? [...new Set(runs.map((run) => run.round))].map((r) => {
          const of = (system: SagaSystem) =>
            runs.find((run) => run.round === r && run.system === system)!;
          return round(of('library').sagasPerSecond / of(other).sagasPerSecond, 3);
        })
      : [];
  // `ratios`: library ÷ baseline (the target); `bareRatios`: library ÷ bare (information).
  const ratios = ratiosTo('baseline');
  const bareRatios = ratiosTo('bare');
  const targets = [
    ...(ran('library')
      ? [
          {
            name: 'library sagas/s (median of rounds)',
            target: '≥ 500',
            measured: rate('library').toFixed(0),
            met: rate('library') >= 500,
          },
        ]
      : []),
    ...(ratios.length > 0
      ? [
          {
            name: 'library ÷ baseline (median of rounds)',
            target: '≥ 0.70×',
            measured: `${median(ratios).toFixed(2)}×`,
            met: median(ratios) >= 0.7,
          },
        ]
      : []),
    ...(rss
      ? [
          {
            name: `rss settled, ${rss.points.at(-1)!.waiting} vs ${rss.points[0]!.waiting} waiting`,
            target: 'flat (≤ 1.10×)',
            measured: `${rss.ratio.toFixed(2)}×`,
            met: rss.ratio <= 1.1,
          },
        ]
      : []),
  ];
  const report = {
    ...reportHead('saga', started, options),
    finishedAt: new Date().toISOString(),
    systems: options.systems,
    runs,
    ratios,
    bareRatios,
    rss,
    targets,
  };
  publishResult(report, () => {
    const parts = [
      `Saga benchmark — ${report.startedAt} — ${report.machine['cpus']} CPUs, ${report.machine['node']}`,
    ];
    if (runs.length > 0)
      parts.push(
        `\n${thousands(options.sagas)} sagas per run (first ${options.warmup} not counted), ${options.concurrency} in flight, ${options.partitions} partitions`,
        table(
          [
            'round',
            'system',
            'sagas/s',
            'p50 ms',
            'p90 ms',
            'p99 ms',
            'max ms',
            'CPU ms/saga orch.',
            'partic.',
            'postgres',
            'orch. peak MiB',
          ],
          runs.map((run) => [
            run.round,
            run.system,
            run.sagasPerSecond.toFixed(0),
            run.durationMs.p50.toFixed(1),
            run.durationMs.p90.toFixed(1),
            run.durationMs.p99.toFixed(1),
            run.durationMs.max.toFixed(1),
            run.cpuMsPerSaga.orchestrator.toFixed(2),
            run.cpuMsPerSaga.participants.toFixed(2),
            run.cpuMsPerSaga.postgres.toFixed(2),
            run.orchestratorPeakMb.toFixed(1),
          ]),
          allButFirst,
        ),
      );
    const perRound = (list: number[]): string => list.map((r) => `${r.toFixed(2)}×`).join(', ');
    if (ratios.length > 0) parts.push(`library ÷ baseline per round: ${perRound(ratios)}`);
    if (bareRatios.length > 0)
      parts.push(
        `library ÷ bare per round: ${perRound(bareRatios)} (information, not a target: bare has no outbox and no step log, so a crash between commit and send loses the message)`,
      );
    if (rss)
      parts.push(
        `\nOrchestrator memory with sagas waiting on replies (started: ${rss.startedMb} MiB)`,
        table(
          ['waiting', 'RSS settled', 'RSS before GC', 'heap used', 'sampled peak', 'begin s'],
          rss.points.map((p) => [
            p.waiting,
            p.rssMb.toFixed(1),
            p.rssBeforeGcMb.toFixed(1),
            p.heapUsedMb.toFixed(1),
            p.sampledPeakMb.toFixed(1),
            p.beginSeconds.toFixed(1),
          ]),
          allButFirst,
        ),
      );
    if (targets.length > 0) parts.push(...targetsSection(targets, [], allButFirst));
    const errors = runs.flatMap((run) => run.errors);
    if (errors.length > 0) parts.push(`\nerrors: ${errors.slice(0, 5).join('; ')}`);
    return parts.join('\n');
  });
}

runMain(main);

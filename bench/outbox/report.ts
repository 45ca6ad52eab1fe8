/**
 * The outbox benchmark's results: one JSON document (written to bench/results/) and the
 * same numbers as readable tables, ratios first-class — they are what compares across runs.
 */
import {
  numericColumns,
  table as markdownTable,
  targetsSection,
  thousands,
  type Target,
} from '../lib/format.js';
import type { ReportHead } from '../lib/report.js';
import { round } from '../lib/stats.js';
import type { DrainReport, DrainResult } from './drain.js';
import type { LatencyResult } from './latency.js';
import type { RssReport } from './rss.js';

export interface OutboxBenchReport extends ReportHead<'outbox'> {
  drain?: DrainReport & { ratios: Record<string, number> };
  latency?: { results: LatencyResult[]; ratios: Record<string, number> };
  rss?: RssReport;
  targets: Target[];
  notes: string[];
}

/** The report as the JSON of its result file. */
export function reportJson(report: OutboxBenchReport): string {
  return prettierJson(report, '', 0);
}

/**
 * JSON laid out as Prettier lays it out (objects expanded, short arrays of scalars on one
 * line, width 100), so the repository's `prettier --check` passes on result files too.
 */
function prettierJson(value: unknown, indent: string, column: number): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const scalars = value.every((item) => item === null || typeof item !== 'object');
    const flat = `[${value.map((item) => JSON.stringify(item) ?? 'null').join(', ')}]`;
    if (scalars && column + flat.length + 1 <= 100) return flat;
    const items = value.map((item) => `${inner}${prettierJson(item, inner, inner.length)}`);
    return `[\n${items.join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, item]) => item !== undefined);
  if (entries.length === 0) return '{}';
  const lines = entries.map(([key, item]) => {
    const head = `${inner}${JSON.stringify(key)}: `;
    return `${head}${prettierJson(item, inner, head.length)}`;
  });
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

export function drainRatios(results: readonly DrainResult[]): Record<string, number> {
  const rate = (system: DrainResult['system']): number | undefined =>
    results.find((r) => r.system === system)?.eventsPerSecond;
  const relay = rate('relay');
  const ratios: Record<string, number> = {};
  for (const other of ['raw-kafkajs', 'router-streaming', 'router-snapshot'] as const) {
    const value = rate(other);
    if (relay !== undefined && value !== undefined)
      ratios[`relay/${other}`] = round(relay / value, 3);
  }
  return ratios;
}

export function latencyRatios(results: readonly LatencyResult[]): Record<string, number> {
  const relay = results.find((r) => r.system === 'relay');
  const ratios: Record<string, number> = {};
  if (!relay) return ratios;
  for (const other of results.filter((r) => r.system !== 'relay')) {
    ratios[`relay/${other.system} p50`] = round(relay.latencyMs.p50 / other.latencyMs.p50, 3);
    ratios[`relay/${other.system} p99`] = round(relay.latencyMs.p99 / other.latencyMs.p99, 3);
  }
  return ratios;
}

/** Evaluates the targets against what was measured. */
export function targets(report: OutboxBenchReport): Target[] {
  const list: Target[] = [];
  const ratios = report.drain?.ratios ?? {};
  const overRaw = ratios['relay/raw-kafkajs'];
  if (overRaw !== undefined)
    list.push({
      name: 'drain: relay vs raw kafkajs',
      target: '≥ 0.90×',
      measured: `${overRaw.toFixed(2)}×`,
      met: overRaw >= 0.9,
    });
  for (const key of ['relay/router-streaming', 'relay/router-snapshot']) {
    const value = ratios[key];
    if (value !== undefined)
      list.push({
        name: `drain: relay vs ${key.slice('relay/'.length)}`,
        target: '> 1.00×',
        measured: `${value.toFixed(2)}×`,
        met: value > 1,
      });
  }
  const relayLatency = report.latency?.results.find((r) => r.system === 'relay');
  if (relayLatency)
    list.push({
      name: 'latency: relay p99',
      target: '≤ 20 ms',
      measured: `${relayLatency.latencyMs.p99.toFixed(1)} ms`,
      met: relayLatency.latencyMs.p99 <= 20 && relayLatency.missing === 0,
    });
  if (report.rss)
    list.push({
      name: `rss: peak at ${report.rss.backlogRatio}× the backlog`,
      target: 'bounded (≤ 1.25×)',
      measured: `${report.rss.peakRatio.toFixed(2)}×`,
      met: report.rss.peakRatio <= 1.25,
    });
  return list;
}

/** Numbers, ratios like 1.23× and NaN (a system that measured nothing) align right. */
const table = (headers: readonly string[], rows: ReadonlyArray<readonly (string | number)[]>) =>
  markdownTable(headers, rows, numericColumns(/^[\d.,×%-]+$|^NaN$/));

/** The report as Markdown tables (also what the README quotes). */
export function formatReport(report: OutboxBenchReport): string {
  const parts: string[] = [
    `Outbox benchmark — ${report.startedAt} — ${report.machine['cpus']} CPUs, ${report.machine['node']}, ` +
      `PostgreSQL ${report.machine['postgres']}, Kafka ${report.machine['kafka']}, Debezium ${report.machine['debezium']}`,
  ];
  if (report.drain) {
    const relay = report.drain.results.find((r) => r.system === 'relay');
    parts.push(
      `\nDrain: ${thousands(relay?.events ?? 0)} pre-inserted 1 KiB events, batch ${String(report.options['batchSize'])}`,
      table(
        ['system', 'seconds', 'events/s', 'relay ÷ system', 'clock'],
        report.drain.results.map((r) => [
          r.system,
          r.seconds.toFixed(2),
          thousands(r.eventsPerSecond),
          r.system === 'relay'
            ? '1.00'
            : (report.drain?.ratios[`relay/${r.system}`]?.toFixed(2) ?? ''),
          r.clock,
        ]),
      ),
    );
    const d = report.drain.relayDiagnostics;
    parts.push(
      `\nRelay batch anatomy (${d.batches} batches; ms per batch, timed outside the relay): ` +
        Object.entries(d.perBatchMs)
          .map(([phase, ms]) => `${phase} ${ms.toFixed(2)}`)
          .join(', ') +
        `; batch (lock → marked) mean ${d.batchMs.mean} ms, first 10 % ${d.batchMs.first10PercentMean} ms, last 10 % ${d.batchMs.last10PercentMean} ms`,
    );
  }
  if (report.latency) {
    parts.push(
      `\nLatency: commit → consume at ${String(report.options['latencyRate'])} events/s for ${String(report.options['latencySeconds'])} s (${String(report.options['warmupSeconds'])} s warm-up not counted), ms`,
      table(
        ['system', 'events', 'p50', 'p90', 'p99', 'p99.9', 'max', 'missing', 'commit p99', 'rate'],
        report.latency.results.map((r) => [
          r.system,
          thousands(r.measured),
          r.latencyMs.p50.toFixed(1),
          r.latencyMs.p90.toFixed(1),
          r.latencyMs.p99.toFixed(1),
          r.latencyMs.p999.toFixed(1),
          r.latencyMs.max.toFixed(1),
          r.missing,
          r.commitMs.p99.toFixed(1),
          thousands(r.achievedPerSecond),
        ]),
      ),
      Object.entries(report.latency.ratios)
        .map(([name, value]) => `${name}: ${value.toFixed(2)}`)
        .join(', '),
    );
  }
  if (report.rss) {
    parts.push(
      `\nRelay memory (own process; MB = MiB)`,
      table(
        ['backlog', 'baseline', 'peak (VmHWM)', 'sampled peak', 'drain adds', 'events/s'],
        report.rss.results.map((r) => [
          thousands(r.backlog),
          r.baselineMb.toFixed(1),
          r.peakMb.toFixed(1),
          r.sampledPeakMb.toFixed(1),
          r.drainDeltaMb.toFixed(1),
          thousands(r.eventsPerSecond),
        ]),
      ),
      `peak ratio ${report.rss.peakRatio.toFixed(2)} for ${report.rss.backlogRatio}× the backlog`,
    );
  }
  parts.push(...targetsSection(report.targets, report.notes));
  return parts.join('\n');
}

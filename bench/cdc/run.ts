/**
 * The CDC decode benchmark: envelopes/s of `@trackops/cdc`'s decoder (full validation and
 * logical-type conversion) against bare `JSON.parse` of the same bytes, in one run.
 *
 *   pnpm --filter @trackops/bench bench:cdc              # 200,000 envelopes per workload
 *   pnpm --filter @trackops/bench bench:cdc -- --quick   # 20,000, a few seconds
 *
 * Needs no servers. Results: bench/results/cdc-<timestamp>.json plus a table on stdout.
 * See bench/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createDecoder } from '@trackops/cdc';
// The decoder's JSON parse alone (internal, not exported): what the scan and the big-integer
// restore cost over JSON.parse, apart from the rest of decoding.
import { parseJson } from '../../packages/cdc/src/json.js';
import { round } from '../lib/stats.js';
import { workloads, type BenchRecord, type Workload } from './workload.js';
import { parseBenchArgs, positiveInt, selectedScenarios } from '../lib/args.js';

const usage = `usage: bench:cdc [--quick] [--envelopes N] [--rounds N] [--only mix,schemas-false,schemas-true,typed]`;

// Issue 5's target: decoding at ≥ 0.75× bare JSON.parse of the same bytes.
const target = 0.75;

function parseOptions() {
  const values = parseBenchArgs(usage, {
    quick: { type: 'boolean', default: false },
    envelopes: { type: 'string' },
    rounds: { type: 'string' },
    only: { type: 'string' },
    help: { type: 'boolean', default: false },
  });
  const int = (name: 'envelopes' | 'rounds', full: number, smoke: number): number =>
    positiveInt(values[name], name, values.quick ? smoke : full, usage);
  const all = workloads();
  const only = selectedScenarios(
    values.only,
    all.map((workload) => workload.name),
    usage,
  );
  return {
    quick: values.quick,
    envelopes: int('envelopes', 200_000, 20_000),
    rounds: int('rounds', 5, 3),
    workloads: all.filter((workload) => only.has(workload.name)),
  };
}

type System = 'JSON.parse' | 'parseJson' | 'decoder';
const systems: readonly System[] = ['JSON.parse', 'parseJson', 'decoder'];

/** Bare JSON.parse of the same bytes: key and value, as a hand-written consumer would. */
function parseBare(records: readonly BenchRecord[]): number {
  let sink = 0;
  for (const record of records) {
    if (record.key !== null) sink += JSON.parse(record.key.toString()) === null ? 0 : 1;
    if (record.value !== null) sink += JSON.parse(record.value.toString()) === null ? 0 : 1;
  }
  return sink;
}

const valuePath = { parent: undefined, segment: 'value' };

/** The decoder's lossless parse of the same key and value, nothing else. */
function parseLossless(records: readonly BenchRecord[]): number {
  let sink = 0;
  for (const record of records) {
    if (record.key !== null) sink += parseJson(record.key.toString(), valuePath) === null ? 0 : 1;
    if (record.value !== null)
      sink += parseJson(record.value.toString(), valuePath) === null ? 0 : 1;
  }
  return sink;
}

const decoder = createDecoder();

function decodeAll(records: readonly BenchRecord[], workload: Workload): number {
  let sink = 0;
  const table = workload.table;
  for (const record of records) {
    const event = table === undefined ? decoder.decode(record) : decoder.decode(record, table);
    sink += event.kind.length;
  }
  return sink;
}

interface WorkloadResult {
  workload: string;
  description: string;
  distinctRecords: number;
  envelopes: number;
  /** Mean bytes per envelope (key + value). */
  meanBytes: number;
  /** Envelopes/s per round, in run order. */
  rounds: Record<System, number[]>;
  /** Median envelopes/s over the rounds. */
  envelopesPerSecond: Record<System, number>;
  /** decoder ÷ JSON.parse of each round (all measured back to back), and their median. */
  ratioPerRound: number[];
  ratio: number;
  /** parseJson ÷ JSON.parse, the same way: the parse alone, without the rest of decoding. */
  parseRatio: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function timed(run: () => number, count: number): number {
  const started = process.hrtime.bigint();
  run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return count / seconds;
}

function measure(workload: Workload, envelopes: number, rounds: number): WorkloadResult {
  const records = Array.from(
    { length: envelopes },
    (_, index) => workload.records[index % workload.records.length]!,
  );
  // Every record must decode: a benchmark of errors would measure the wrong thing.
  decodeAll(workload.records, workload);
  // Warm both paths up (JIT) on a tenth of the run before timing anything.
  const warm = records.slice(0, Math.max(1, Math.floor(envelopes / 10)));
  parseBare(warm);
  parseLossless(warm);
  decodeAll(warm, workload);

  const perRound: Record<System, number[]> = { 'JSON.parse': [], parseJson: [], decoder: [] };
  const ratios: number[] = [];
  const parseRatios: number[] = [];
  const runners: Record<System, () => number> = {
    'JSON.parse': () => parseBare(records),
    parseJson: () => parseLossless(records),
    decoder: () => decodeAll(records, workload),
  };
  for (let round = 0; round < rounds; round++) {
    // Alternate which goes first, so neither always runs on a fresher heap.
    const order = round % 2 === 0 ? systems : [...systems].reverse();
    const rates = {} as Record<System, number>;
    for (const system of order) {
      rates[system] = timed(runners[system], envelopes);
      perRound[system].push(rates[system]);
    }
    ratios.push(rates.decoder / rates['JSON.parse']);
    parseRatios.push(rates.parseJson / rates['JSON.parse']);
  }
  const bytes = workload.records.reduce(
    (total, record) => total + (record.key?.length ?? 0) + (record.value?.length ?? 0),
    0,
  );
  return {
    workload: workload.name,
    description: workload.description,
    distinctRecords: workload.records.length,
    envelopes,
    meanBytes: Math.round(bytes / workload.records.length),
    rounds: {
      'JSON.parse': perRound['JSON.parse'].map((rate) => Math.round(rate)),
      parseJson: perRound.parseJson.map((rate) => Math.round(rate)),
      decoder: perRound.decoder.map((rate) => Math.round(rate)),
    },
    envelopesPerSecond: {
      'JSON.parse': Math.round(median(perRound['JSON.parse'])),
      parseJson: Math.round(median(perRound.parseJson)),
      decoder: Math.round(median(perRound.decoder)),
    },
    ratioPerRound: ratios.map((ratio) => round(ratio, 3)),
    ratio: round(median(ratios), 3),
    parseRatio: round(median(parseRatios), 3),
  };
}

const number = (value: number): string => Math.round(value).toLocaleString('en-US');

function table(results: readonly WorkloadResult[]): string {
  const header = [
    'workload',
    'bytes',
    'JSON.parse /s',
    'parseJson /s',
    'parse ratio',
    'decoder /s',
    'ratio',
    'rounds',
  ];
  const rows = results.map((result) => [
    result.workload,
    String(result.meanBytes),
    number(result.envelopesPerSecond['JSON.parse']),
    number(result.envelopesPerSecond.parseJson),
    `${result.parseRatio.toFixed(2)}×`,
    number(result.envelopesPerSecond.decoder),
    `${result.ratio.toFixed(2)}×`,
    `${Math.min(...result.ratioPerRound).toFixed(2)}–${Math.max(...result.ratioPerRound).toFixed(2)}`,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join(' | ')} |`;
  return [
    line(header),
    `| ${widths.map((width, column) => (column === 0 ? '-'.repeat(width) : `${'-'.repeat(width - 1)}:`)).join(' | ')} |`,
    ...rows.map(line),
  ].join('\n');
}

function main(): void {
  const options = parseOptions();
  const startedAt = new Date().toISOString();
  const results: WorkloadResult[] = [];
  for (const workload of options.workloads) {
    process.stdout.write(`${workload.name}: ${number(options.envelopes)} envelopes … `);
    const result = measure(workload, options.envelopes, options.rounds);
    console.log(`${result.ratio.toFixed(2)}× JSON.parse`);
    results.push(result);
  }
  const report = {
    benchmark: 'cdc-decode',
    startedAt,
    finishedAt: new Date().toISOString(),
    command: process.argv.slice(2).join(' '),
    machine: {
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: round(os.totalmem() / 2 ** 30, 1),
      platform: `${os.platform()} ${os.release()}`,
    },
    options: { quick: options.quick, envelopes: options.envelopes, rounds: options.rounds },
    results,
    targets: results.map((result) => ({
      name: `decode ${result.workload}`,
      target: `≥ ${target}× JSON.parse`,
      measured: `${result.ratio}×`,
      met: result.ratio >= target,
    })),
    notes: [
      'JSON.parse parses the key and the value of each record (Buffer#toString then JSON.parse); the decoder reads the same Buffers, headers included, and returns typed events.',
      "parseJson is the decoder's lossless parse alone (scan for big integers, JSON.parse, bigint restore) on the same texts.",
      'Ratios are decoder ÷ JSON.parse of the same round, run back to back; the median over the rounds is reported.',
    ],
  };
  const dir = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}cdc-${startedAt.replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\n${table(results)}\n`);
  for (const entry of report.targets)
    console.log(
      `${entry.met ? 'met    ' : 'not met'}  ${entry.name}: ${entry.measured} (target ${entry.target})`,
    );
  console.log(`\nresults: ${file}`);
}

main();

/**
 * What every benchmark run shares: the machine it ran on, the elapsed-time log on stderr, the
 * head of its JSON result, the result file in bench/results/ and the exit on failure.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

/** The machine a benchmark ran on (benchmarks may add their servers' versions). */
export function machineInfo(): { cpus: number; cpuModel: string; memoryGiB: number; node: string } {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
}

/** Progress on stderr, each line stamped with the seconds since `started` (`Date.now()`). */
export function elapsedLog(started: number): (message: string) => void {
  return (message) =>
    console.error(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`);
}

/** The fields every result starts with. */
export interface ReportHead<B extends string = string> {
  benchmark: B;
  startedAt: string;
  /** Set when the run is over. */
  finishedAt: string;
  command: string;
  machine: Record<string, string | number>;
  options: Record<string, unknown>;
}

/** The head of a result: `bench:<benchmark>` with this process's arguments, on this machine. */
export function reportHead<B extends string>(
  benchmark: B,
  started: number,
  options: { scenarios: ReadonlySet<string> },
  machine: Record<string, string | number> = machineInfo(),
): ReportHead<B> {
  return {
    benchmark,
    startedAt: new Date(started).toISOString(),
    finishedAt: '',
    command: `bench:${benchmark} ${process.argv.slice(2).join(' ')}`.trim(),
    machine,
    options: { ...options, scenarios: [...options.scenarios] },
  };
}

const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));

/**
 * Writes `text` (by default the report as indented JSON) to
 * `bench/results/<benchmark>-<startedAt>.json`, then prints `format()` and the file's path.
 */
export function publishResult(
  report: ReportHead,
  format: () => string,
  text = JSON.stringify(report, null, 2),
): void {
  mkdirSync(resultsDir, { recursive: true });
  const file = `${resultsDir}${report.benchmark}-${report.startedAt.replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, `${text}\n`);
  console.log(format());
  console.log(`\nresults: ${file}`);
}

/** Runs the benchmark's `main`; a failure prints its stack and sets exit code 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: Error) => {
    console.error(error.stack ?? error.message);
    process.exitCode = 1;
  });
}

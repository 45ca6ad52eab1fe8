/** The command-line conventions every benchmark shares (`--quick`, `--only`, `--help`). */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * Parses the benchmark's flags; `--help` prints `usage` and exits. `pnpm … bench:x -- --quick`
 * hands the script a literal `--` first, which is dropped.
 */
export function parseBenchArgs<O extends NonNullable<ParseArgsConfig['options']>>(
  usage: string,
  options: O,
) {
  const args = process.argv.slice(2).filter((arg, index) => !(index === 0 && arg === '--'));
  const { values } = parseArgs({ args, options, strict: true, allowPositionals: false });
  if ((values as { help?: boolean }).help) {
    console.log(usage);
    process.exit(0);
  }
  return values;
}

/** A positive integer flag (`raw`), or `fallback` when it was not given. */
export function positiveInt(raw: unknown, flag: string, fallback: number, usage: string): number {
  const value = typeof raw === 'string' ? Number(raw) : fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`--${flag} must be a positive integer (got ${String(raw)})\n${usage}`);
  }
  return value;
}

/** The scenarios `--only a,b` selects among `all` (every one when not given). */
export function selectedScenarios(
  only: unknown,
  all: readonly string[],
  usage: string,
): Set<string> {
  const selected = new Set(typeof only === 'string' ? only.split(',') : all);
  for (const scenario of selected) {
    if (!all.includes(scenario))
      throw new Error(`--only: unknown scenario "${scenario}"\n${usage}`);
  }
  return selected;
}

/** A list flag `--flag N,N…` of positive integers, `count` of them (`fallback` when not given). */
export function positiveIntList(
  raw: unknown,
  flag: string,
  fallback: string,
  usage: string,
  count: 'two' | 'at least two' = 'at least two',
): number[] {
  const list = (typeof raw === 'string' ? raw : fallback).split(',').map(Number);
  if (
    (count === 'two' ? list.length !== 2 : list.length < 2) ||
    list.some((n) => !Number.isInteger(n) || n <= 0)
  )
    throw new Error(`--${flag} must list ${count} positive integers\n${usage}`);
  return list;
}

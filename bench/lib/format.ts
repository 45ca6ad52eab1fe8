/** The readable side of a benchmark's report: numbers, Markdown tables and the targets. */

/** A target of the issue and what was measured against it. */
export interface Target {
  name: string;
  target: string;
  measured: string;
  met: boolean;
}

/** 1234567 → "1,234,567". */
export const thousands = (value: number): string => value.toLocaleString('en-US');

/** Says whether column `index` (its body cells, as printed) aligns right. */
export type RightAlign = (index: number, cells: readonly string[]) => boolean;

/** Columns whose every body cell matches `pattern` (numbers, ratios like 1.23×) align right. */
export const numericColumns =
  (pattern = /^[\d.,×%-]+$/): RightAlign =>
  (_, cells) =>
    cells.every((cell) => pattern.test(cell));

/** A Markdown table; text aligns left, and right where `rightAlign` says (numbers by default). */
export function table(
  headers: readonly string[],
  rows: ReadonlyArray<readonly (string | number)[]>,
  rightAlign: RightAlign = numericColumns(),
): string {
  const body = rows.map((row) => row.map(String));
  const widths = headers.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const right = headers.map((_, i) =>
    rightAlign(
      i,
      body.map((row) => row[i]!),
    ),
  );
  const line = (row: readonly string[]): string =>
    `| ${row.map((cell, i) => (right[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (right[i] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(headers), rule, ...body.map(line)].join('\n');
}

/** The report's closing lines: the targets table, then the notes as a list (if any). */
export function targetsSection(
  targets: readonly Target[],
  notes: readonly string[] = [],
  rightAlign?: RightAlign,
): string[] {
  const parts = [
    '\nTargets',
    table(
      ['target', 'wanted', 'measured', 'met'],
      targets.map((t) => [t.name, t.target, t.measured, t.met ? 'yes' : 'NO']),
      rightAlign,
    ),
  ];
  if (notes.length > 0) parts.push('', ...notes.map((note) => `- ${note}`));
  return parts;
}

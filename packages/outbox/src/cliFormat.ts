/** What `trackops-outbox` prints: tables, durations and failures (see cli.ts). */
import { isTrackOpsError } from '@trackops/core';
import { CliFailure, program } from './cliArgs.js';
import type { DeadEvent, OutboxStatus } from './operations.js';

export function describeFailure(error: unknown): string {
  if (error instanceof CliFailure) return error.message;
  if (isTrackOpsError(error)) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause} (${error.code})`;
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    // Node's dual-stack connect fails with an AggregateError whose own message is empty.
    const message =
      error instanceof AggregateError && error.errors.length > 0
        ? error.errors.map((inner: Error) => inner.message).join('; ')
        : error.message;
    // 42P01 undefined_table: the commonest first-run mistake.
    if (code === '42P01')
      return `${message} — run '${program} migrate' first, or check --schema/--table`;
    if (
      code === 'ECONNREFUSED' ||
      code === 'ENOTFOUND' ||
      code === 'ETIMEDOUT' ||
      code === '28P01' ||
      code === '3D000' ||
      /timeout exceeded when trying to connect/i.test(message)
    )
      return `cannot connect to PostgreSQL: ${message}`;
    return typeof code === 'string' ? `${message} (${code})` : message;
  }
  return String(error);
}

export const plural = (count: number, noun: string): string =>
  `${count} ${noun}${count === 1 ? '' : 's'}`;

function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  let seconds = Math.floor(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
  }
  if (seconds > 0 || parts.length === 0) parts.push(`${seconds}s`);
  return parts.slice(0, 2).join(' ');
}

export function formatStatus(tableName: string, status: OutboxStatus): string {
  return table([
    ['table', tableName],
    ['backlog', String(status.backlog)],
    [
      'oldest unpublished',
      status.backlog > 0 ? formatDuration(status.oldestUnpublishedAgeMs) : '-',
    ],
    ['retrying', String(status.retrying)],
    ['dead', String(status.dead)],
    ['published', String(status.published)],
  ]);
}

export function formatDead(dead: readonly DeadEvent[]): string {
  if (dead.length === 0) return 'No dead rows.\n';
  const firstLine = (text: string | null): string => {
    const line = (text ?? '').split('\n')[0] ?? '';
    return line.length > 80 ? `${line.slice(0, 79)}…` : line;
  };
  return table([
    ['ID', 'AGGREGATE', 'TYPE', 'ATTEMPTS', 'DEAD AT', 'LAST ERROR'],
    ...dead.map((row) => [
      row.id,
      `${row.aggregateType}/${row.aggregateId}`,
      row.type,
      String(row.attempts),
      row.deadAt.toISOString(),
      firstLine(row.lastError),
    ]),
  ]);
}

/** Left-aligned columns, two spaces apart; the last column is not padded. */
function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  );
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join('  '),
    )
    .join('\n')
    .concat('\n');
}

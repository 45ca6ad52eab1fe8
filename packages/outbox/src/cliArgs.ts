/** Reading and checking the `trackops-outbox` command line (see cli.ts). */
import { quoteIdentifier } from '@trackops/core';
import type { CliIo } from './cli.js';

/** The command's name, in messages. */
export const program = 'trackops-outbox';

/** A mistake in the command line: reported with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose `--help` to point to; filled in by `dispatch` when known. */
    public command?: string,
  ) {
    super(message);
  }
}

/** A failure worth a plain message rather than a stack (exit code 1). */
export class CliFailure extends Error {}

export function identifier(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    quoteIdentifier(value, flag);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return value;
}

export function databaseUrl(flag: string | undefined, env: CliIo['env']): string | undefined {
  const [url, source] =
    flag !== undefined ? [flag, '--database-url'] : [env['DATABASE_URL'], 'DATABASE_URL'];
  if (url === undefined || url === '') return undefined;
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    // Not echoed: a URL may carry a password.
    throw new UsageError(`${source} is not a URL (expected postgres://user:password@host/db)`);
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:')
    throw new UsageError(
      `${source} must be a postgres:// or postgresql:// URL (got ${protocol}//…)`,
    );
  return url;
}

export const missingDatabase = (): UsageError =>
  new UsageError('no database given: pass --database-url <url> or set DATABASE_URL');

export function positiveInteger(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text)))
    throw new UsageError(`${flag} must be a positive integer (got '${text}')`);
  return Number(text);
}

const units: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `7d`, `12h`, `30m`, `1d12h` → milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d|w)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text)
    throw new UsageError(
      `${flag} must be a duration such as 7d, 12h, 30m or 1d12h (got '${text}')`,
    );
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * units[unit!]!, 0);
}

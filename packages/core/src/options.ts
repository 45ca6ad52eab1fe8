import type { Kafka } from 'kafkajs';
import { z } from 'zod';
import type { Logger } from './logger.js';
import type { ConnectionPool } from './sql.js';
import { TrackOpsError } from './errors.js';

/**
 * Parses options against their zod schema once, at construction. A bad option throws a
 * `TrackOpsError` with code `INVALID_OPTIONS` whose message names every offending option by
 * its path (`retry.maxAttempts: Too small: expected number to be >=1`).
 *
 * @param schema - The options' single source of truth, defaults included.
 * @param input - What the caller passed.
 * @param what - The factory or function the options belong to, for the message.
 */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new TrackOpsError({
    code: 'INVALID_OPTIONS',
    message: `invalid ${what} options: ${describeIssues(result.error)}`,
  });
}

/** `path: message` for each issue, joined; the path is how users find the field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map(
      (issue) =>
        `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)'}: ${issue.message}`,
    )
    .join('; ');
}

/**
 * Zod types for the things callers pass in, each checked by shape (not `instanceof`, since
 * an application may load several copies of a client library) with a message that says what
 * was expected.
 */
export const optionTypes = {
  /** A `pg.Pool` or anything with `query()` and `connect()`. */
  pool: () =>
    z.custom<ConnectionPool>(
      (value) =>
        typeof (value as ConnectionPool | undefined)?.query === 'function' &&
        typeof (value as ConnectionPool | undefined)?.connect === 'function',
      { message: 'must be a pg.Pool (query() and connect())' },
    ),
  /** A kafkajs `Kafka` instance. */
  kafka: () =>
    z.custom<Kafka>(
      (value) =>
        typeof (value as Kafka | undefined)?.producer === 'function' &&
        typeof (value as Kafka | undefined)?.consumer === 'function',
      {
        message: 'must be a kafkajs Kafka instance',
      },
    ),
  /** An `AbortSignal`. */
  signal: () =>
    z.custom<AbortSignal>((value) => value instanceof AbortSignal, {
      message: 'must be an AbortSignal',
    }),
  /** A pino-compatible logger. */
  logger: () =>
    z.custom<Logger>(
      (value) =>
        ['debug', 'info', 'warn', 'error'].every(
          (level) => typeof (value as Record<string, unknown> | undefined)?.[level] === 'function',
        ),
      {
        message: 'must be a logger with debug/info/warn/error methods (pino works)',
      },
    ),
  /** A function of the given type. */
  fn: <F>() =>
    z.custom<F>((value) => typeof value === 'function', { message: 'must be a function' }),
};

import type { z } from 'zod';
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

import { TrackOpsError } from '@trackops/core';

/** The codes a {@link DebeziumDecodeError} can carry. */
export type DebeziumDecodeErrorCode =
  /** The key, value or a header is not valid JSON (truncated, not UTF-8 text, …). */
  | 'CDC_INVALID_JSON'
  /** The JSON is well formed but is not what Debezium emits at `path`. */
  | 'CDC_INVALID_EVENT';

/** What {@link DebeziumDecodeError} is constructed from. */
export interface DebeziumDecodeErrorOptions {
  /** See {@link DebeziumDecodeErrorCode}. */
  readonly code: DebeziumDecodeErrorCode;
  /** Where in the record the problem is; see {@link DebeziumDecodeError.path}. */
  readonly path: string;
  /** What the decoder expected there, e.g. `'one of c, u, d, r, t, m'`. */
  readonly expected: string;
  /** A short rendering of what was found there. */
  readonly found: string;
  /** The underlying error (the JSON parser's, a zod error), if any. */
  readonly cause?: unknown;
}

/**
 * A Kafka record that is not a Debezium event the decoder understands. Not retriable: the same
 * bytes fail the same way, so a consumer routes the record to its dead-letter topic with
 * {@link DebeziumDecodeError.path} and the message as context.
 *
 * @example
 * ```ts
 * try {
 *   handle(decoder.decode(message));
 * } catch (error) {
 *   if (error instanceof DebeziumDecodeError) await sendToDlq(message, error);
 *   else throw error;
 * }
 * ```
 */
export class DebeziumDecodeError extends TrackOpsError<DebeziumDecodeErrorCode> {
  override name = 'DebeziumDecodeError';

  /**
   * Where the problem is, as a path into the record: `key`, `value` or `headers["name"]`, then
   * the JSON path on the wire, e.g. `value.payload.after.c_date` (with `schemas.enable=true` the
   * row sits under `payload`) or `value.source.sequence[1]`.
   */
  readonly path: string;

  /** What the decoder expected at {@link DebeziumDecodeError.path}. */
  readonly expected: string;

  /** A short rendering of what it found there (long values are cut). */
  readonly found: string;

  /**
   * @param options - Code, path, expectation, finding and cause.
   */
  constructor(options: DebeziumDecodeErrorOptions) {
    super({
      code: options.code,
      message: `${options.path}: expected ${options.expected}, found ${options.found}`,
      retriable: false,
      ...('cause' in options ? { cause: options.cause } : {}),
    });
    this.path = options.path;
    this.expected = options.expected;
    this.found = options.found;
  }
}

/**
 * A JSON path built as the decoder descends: a linked list, so descending costs one small
 * object and the string is only rendered when something fails.
 *
 * @internal
 */
export interface Path {
  readonly parent: Path | undefined;
  readonly segment: string | number;
}

/** @internal */
export function root(name: string): Path {
  return { parent: undefined, segment: name };
}

/** @internal */
export function child(parent: Path, segment: string | number): Path {
  return { parent, segment };
}

const identifier = /^[A-Za-z_$][\w$]*$/;

/** Renders `value.payload.after.c_date`, `[3]` for indices, `["odd key"]` otherwise. */
export function renderPath(path: Path): string {
  const segments: Array<string | number> = [];
  for (let at: Path | undefined = path; at !== undefined; at = at.parent) {
    segments.push(at.segment);
  }
  segments.reverse();
  let text = String(segments[0]);
  for (const segment of segments.slice(1)) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (identifier.test(segment)) text += `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/** A short, safe rendering of a decoded JSON value for error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'bigint') return `${value}`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  let text: string;
  try {
    text = JSON.stringify(value, (_key, item: unknown) =>
      typeof item === 'bigint' ? `${item}` : item,
    );
  } catch {
    text = 'a value that cannot be rendered';
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Throws a `CDC_INVALID_EVENT` error at `path`. @internal */
export function invalid(path: Path, expected: string, value: unknown, cause?: unknown): never {
  throw new DebeziumDecodeError({
    code: 'CDC_INVALID_EVENT',
    path: renderPath(path),
    expected,
    found: describeValue(value),
    ...(cause === undefined ? {} : { cause }),
  });
}

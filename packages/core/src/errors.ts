/**
 * Options for {@link TrackOpsError}.
 *
 * @typeParam TCode - The literal union of codes the error may carry.
 */
export interface TrackOpsErrorOptions<TCode extends string = string> {
  /** A stable, machine-readable code, e.g. `'OUTBOX_PUBLISH_FAILED'`. */
  readonly code: TCode;
  /** A human-readable message; name the option, table or topic involved. */
  readonly message: string;
  /**
   * Whether repeating the same operation may succeed (a broker or database blip), as opposed to
   * a failure that will recur (bad input, a missing table).
   *
   * @defaultValue `false`
   */
  readonly retriable?: boolean;
  /** The error that caused this one, kept as the standard ES2022 `Error.cause`. */
  readonly cause?: unknown;
}

// The brand behind isTrackOpsError(). `instanceof` is not enough: the packages ship both ESM
// and CommonJS, and an application that loads both copies of @trackops/core has two distinct
// TrackOpsError classes. Symbol.for() returns the same symbol in every copy and realm.
const brand = Symbol.for('@trackops/core:TrackOpsError');

/**
 * The base class of every error thrown or reported by the TrackOps packages.
 *
 * Each package narrows `TCode` to the literal union of codes it uses, so callers can switch on
 * `error.code` exhaustively. The original error, if any, is kept as `cause`.
 *
 * @typeParam TCode - The literal union of codes this error may carry.
 *
 * @example
 * ```ts
 * type RelayErrorCode = 'RELAY_PUBLISH_FAILED' | 'RELAY_STOPPED';
 *
 * class RelayError extends TrackOpsError<RelayErrorCode> {
 *   override name = 'RelayError';
 * }
 *
 * throw new RelayError({
 *   code: 'RELAY_PUBLISH_FAILED',
 *   message: 'publishing 10 outbox rows to topic "orders" failed',
 *   retriable: true,
 *   cause: kafkaError,
 * });
 * ```
 */
export class TrackOpsError<TCode extends string = string> extends Error {
  static {
    // On the prototype rather than each instance: not enumerable, so it stays out of logs.
    Object.defineProperty(this.prototype, brand, { value: true });
  }

  /**
   * The error's class name; subclasses override it with theirs. It is a literal rather than
   * derived from the constructor so that it survives bundling and minification.
   */
  override name = 'TrackOpsError';

  /** A stable, machine-readable code; see {@link TrackOpsErrorOptions.code}. */
  readonly code: TCode;

  /** Whether repeating the same operation may succeed; see {@link TrackOpsErrorOptions.retriable}. */
  readonly retriable: boolean;

  /**
   * @param options - The code, message, retriability and cause of the error.
   */
  constructor(options: TrackOpsErrorOptions<TCode>) {
    // Only pass `cause` when given, so `'cause' in error` is false otherwise, as for any Error.
    super(options.message, 'cause' in options ? { cause: options.cause } : undefined);
    this.code = options.code;
    this.retriable = options.retriable ?? false;
  }
}

/**
 * Tells whether `value` is a {@link TrackOpsError}, optionally with the given `code`.
 *
 * Unlike `instanceof`, this also recognises errors created by another copy of
 * `@trackops/core` (for example its CommonJS build loaded next to its ESM build).
 *
 * @param value - Anything, typically the value caught by `catch`.
 * @param code - When given, also require `value.code` to equal it.
 * @returns `true` if `value` is a TrackOps error (with that code).
 *
 * @example
 * ```ts
 * try {
 *   await relay.stop();
 * } catch (error) {
 *   if (isTrackOpsError(error) && error.retriable) scheduleRetry();
 *   else throw error;
 * }
 * ```
 */
export function isTrackOpsError<TCode extends string = string>(
  value: unknown,
  code?: TCode,
): value is TrackOpsError<TCode> {
  if (typeof value !== 'object' || value === null) return false;
  if ((value as { [brand]?: unknown })[brand] !== true) return false;
  return code === undefined || (value as TrackOpsError).code === code;
}

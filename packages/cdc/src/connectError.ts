import { TrackOpsError } from '@trackops/core';

/** The codes a {@link ConnectError} can carry. */
export type ConnectErrorCode =
  /** Kafka Connect did not answer (refused, reset, or no answer within `timeoutMs`). Retriable. */
  | 'CONNECT_UNREACHABLE'
  /**
   * Connect answered with an HTTP error; {@link ConnectError.status} and Connect's own message
   * are kept. Retriable for 409 (a rebalance is in progress) and 502–504.
   */
  | 'CONNECT_REQUEST_FAILED'
  /**
   * Connect refused a connector's configuration (HTTP 400 on create or update);
   * {@link ConnectError.fieldErrors} lists the fields and what is wrong with them.
   */
  | 'CONNECTOR_INVALID_CONFIG'
  /** The connector or one of its tasks is FAILED; {@link ConnectError.trace} is the worker's trace. */
  | 'CONNECTOR_FAILED'
  /** A wait (connector RUNNING, slot active, connector gone) did not finish in time. Retriable. */
  | 'CONNECT_TIMEOUT'
  /** Connect answered 2xx with a body this client does not understand. */
  | 'CONNECT_INVALID_RESPONSE';

/** A configuration field Connect's validation rejected, and why. */
export interface ConnectFieldError {
  /** The configuration key, e.g. `'database.hostname'`. */
  readonly field: string;
  /** Connect's messages for that field. */
  readonly messages: readonly string[];
}

/** What {@link ConnectError} is constructed from. */
export interface ConnectErrorOptions {
  /** See {@link ConnectErrorCode}. */
  readonly code: ConnectErrorCode;
  /** What went wrong, naming the connector or request. */
  readonly message: string;
  /** Defaults to what the code implies (see {@link ConnectErrorCode}). */
  readonly retriable?: boolean;
  /** The HTTP status Connect answered with, when it answered. */
  readonly status?: number;
  /** The connector the error is about, when it is about one. */
  readonly connector?: string;
  /** The worker's stack trace of a FAILED connector or task. */
  readonly trace?: string;
  /** The rejected fields of an invalid configuration. */
  readonly fieldErrors?: readonly ConnectFieldError[];
  /** The underlying error (a network error from `fetch`, say). */
  readonly cause?: unknown;
}

/**
 * An error from Kafka Connect's REST API or from waiting on a connector.
 *
 * @example
 * ```ts
 * try {
 *   await ensureConnector(client, definition);
 * } catch (error) {
 *   if (error instanceof ConnectError && error.code === 'CONNECTOR_FAILED') {
 *     logger.error({ trace: error.trace }, error.message);
 *   }
 *   throw error;
 * }
 * ```
 */
export class ConnectError extends TrackOpsError<ConnectErrorCode> {
  override name = 'ConnectError';

  /** The HTTP status Connect answered with, if it answered. */
  readonly status: number | undefined;

  /** The connector the error is about, if any. */
  readonly connector: string | undefined;

  /** The worker's stack trace of a FAILED connector or task (`CONNECTOR_FAILED`). */
  readonly trace: string | undefined;

  /** The rejected fields (`CONNECTOR_INVALID_CONFIG`); empty otherwise. */
  readonly fieldErrors: readonly ConnectFieldError[];

  /**
   * @param options - Code, message, and the context of the failure.
   */
  constructor(options: ConnectErrorOptions) {
    super({
      code: options.code,
      message: options.message,
      retriable: options.retriable ?? defaultRetriable(options.code, options.status),
      ...('cause' in options ? { cause: options.cause } : {}),
    });
    this.status = options.status;
    this.connector = options.connector;
    this.trace = options.trace;
    this.fieldErrors = options.fieldErrors ?? [];
  }
}

function defaultRetriable(code: ConnectErrorCode, status: number | undefined): boolean {
  switch (code) {
    case 'CONNECT_UNREACHABLE':
    case 'CONNECT_TIMEOUT':
      return true;
    case 'CONNECT_REQUEST_FAILED':
      // 409: the worker group is rebalancing; 502-504: a proxy or an overloaded worker.
      return status === 409 || (status !== undefined && status >= 502 && status <= 504);
    case 'CONNECTOR_INVALID_CONFIG':
    case 'CONNECTOR_FAILED':
    case 'CONNECT_INVALID_RESPONSE':
      return false;
  }
}

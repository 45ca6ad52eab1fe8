import { TrackOpsError } from '@trackops/core';

/** The codes an {@link OutboxError} can carry. */
export type OutboxErrorCode =
  /** An event given to `enqueue` is invalid; the message names the field. Nothing was written. */
  | 'OUTBOX_INVALID_EVENT'
  /** The relay or inbox consumer was stopped; create a new one. */
  | 'OUTBOX_STOPPED';

/** Errors of `@trackops/outbox`. Invalid options throw `TrackOpsError` `INVALID_OPTIONS`. */
export class OutboxError extends TrackOpsError<OutboxErrorCode> {
  override name = 'OutboxError';
}

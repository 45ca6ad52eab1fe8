import { TrackOpsError } from '@trackops/core';

/** The codes an {@link OutboxError} can carry. */
export type OutboxErrorCode =
  /** An event given to `enqueue` is invalid; the message names the field. Nothing was written. */
  | 'OUTBOX_INVALID_EVENT'
  /** `runBatch()` was called on a relay that is not started. */
  | 'OUTBOX_NOT_STARTED';

/**
 * Errors of `@trackops/outbox`. Invalid options throw `TrackOpsError` `INVALID_OPTIONS`; starting
 * a stopped relay or consumer rejects with `TrackOpsError` `STOPPED`.
 */
export class OutboxError extends TrackOpsError<OutboxErrorCode> {
  override name = 'OutboxError';
}

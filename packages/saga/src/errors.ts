import { TrackOpsError } from '@trackops/core';

/** The codes a {@link SagaError} can carry. */
export type SagaErrorCode =
  /** A saga definition is inconsistent (no steps, duplicate step names …). */
  | 'SAGA_INVALID_DEFINITION'
  /** Saga data, a command payload or a reply does not match its schema; the message names the field. */
  | 'SAGA_INVALID_DATA'
  /** A message lacks the saga headers or names a saga type or step this runtime does not know. */
  | 'SAGA_UNKNOWN_MESSAGE'
  /** No saga instance has the given id. */
  | 'SAGA_NOT_FOUND'
  /** An operator call does not apply to the saga's state (e.g. retrying a completed saga). */
  | 'SAGA_INVALID_STATE'
  /** Another runtime changed the instance first; the transition is retried from fresh state. */
  | 'SAGA_CONFLICT';

/**
 * Errors of `@trackops/saga`. Invalid options throw `TrackOpsError` `INVALID_OPTIONS`; starting
 * a stopped runtime or participant rejects with `TrackOpsError` `STOPPED`.
 */
export class SagaError extends TrackOpsError<SagaErrorCode> {
  override name = 'SagaError';
}

/**
 * Thrown by a participant's command handler to refuse a command for a business reason (out of
 * stock, card declined). The handler's effects are rolled back, and the saga receives a failure
 * reply carrying `reason` — it then compensates the steps that completed before. Any other error
 * is treated as a fault: the command is retried and finally dead-lettered.
 *
 * @example
 * ```ts
 * if (available < quantity) throw new CommandRejected(`only ${available} of ${sku} left`);
 * ```
 */
export class CommandRejected extends Error {
  override name = 'CommandRejected';
  constructor(readonly reason: string) {
    super(reason);
  }
}

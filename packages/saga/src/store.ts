import { queryPrepared, type Queryable } from '@trackops/core';
import { SagaError } from './errors.js';
import type { SagaState, SagaStatus, StepLogEntry, StepPhase } from './machine.js';
import type { SagaTableNames } from './tables.js';

/** A `saga_instances` row, as the runtime reads it. */
export interface InstanceRow {
  id: string;
  sagaType: string;
  correlationId: string | null;
  version: number;
  createdAt: Date;
  state: SagaState;
}

/** The `saga_instances` columns every read selects (for {@link instanceOf}). */
export const instanceColumns = `id::text as id, saga_type, status, step, phase, attempt, data, error,
  compensation_error, correlation_id, version, waiting, deadline_at, created_at, updated_at, ended_at`;

/** A row selected with {@link instanceColumns}, as the runtime reads it. */
export function instanceOf(row: Record<string, unknown>): InstanceRow {
  const deadline = row['deadline_at'] as Date | null;
  return {
    id: row['id'] as string,
    sagaType: row['saga_type'] as string,
    correlationId: row['correlation_id'] as string | null,
    version: row['version'] as number,
    createdAt: row['created_at'] as Date,
    state: {
      status: row['status'] as SagaStatus,
      step: row['step'] as number,
      phase: row['phase'] as StepPhase,
      attempt: row['attempt'] as number,
      data: row['data'],
      error: row['error'] as string | null,
      compensationError: row['compensation_error'] as string | null,
      waiting: row['waiting'] as SagaState['waiting'],
      deadlineAt: deadline === null ? null : deadline.getTime(),
    },
  };
}

/** Inserts a new instance (version 0) with its initial state. */
export async function insertInstance(
  tx: Queryable,
  names: SagaTableNames,
  instance: { id: string; sagaType: string; correlationId: string | null; state: SagaState },
): Promise<InstanceRow> {
  const { state } = instance;
  const { rows } = await queryPrepared<Record<string, unknown>>(
    tx,
    `insert into ${names.instances} (id, saga_type, status, step, phase, attempt, data, correlation_id)
     values ($1, $2, $3, $4, $5, $6, $7, $8) returning ${instanceColumns}`,
    [
      instance.id,
      instance.sagaType,
      state.status,
      state.step,
      state.phase,
      state.attempt,
      JSON.stringify(state.data),
      instance.correlationId,
    ],
  );
  return instanceOf(rows[0]!);
}

/** Reads an instance, locking its row until the transaction ends (other writers wait). */
export async function lockInstance(
  tx: Queryable,
  names: SagaTableNames,
  id: string,
): Promise<InstanceRow | undefined> {
  const { rows } = await queryPrepared<Record<string, unknown>>(
    tx,
    `select ${instanceColumns} from ${names.instances} where id = $1 for update`,
    [id],
  );
  return rows[0] === undefined ? undefined : instanceOf(rows[0]);
}

/**
 * Locks up to `limit` active instances whose deadline has passed, skipping rows another
 * runtime holds: each due saga is woken by exactly one poller.
 */
export async function claimDue(
  tx: Queryable,
  names: SagaTableNames,
  now: number,
  limit: number,
): Promise<InstanceRow[]> {
  const { rows } = await queryPrepared<Record<string, unknown>>(
    tx,
    `select ${instanceColumns} from ${names.instances}
      where deadline_at <= $1 and status in ('RUNNING', 'COMPENSATING')
      order by deadline_at
      limit $2
      for update skip locked`,
    [new Date(now), limit],
  );
  return rows.map(instanceOf);
}

/**
 * Writes a transition: the new state under the optimistic version check, and its step-log
 * entries.
 *
 * @throws SagaError `SAGA_CONFLICT` when the row's version moved since it was read.
 */
export async function saveTransition(
  tx: Queryable,
  names: SagaTableNames,
  instance: InstanceRow,
  state: SagaState,
  log: readonly StepLogEntry[],
  stepName: (step: number) => string | null,
  messageId: string | null,
): Promise<void> {
  const final =
    state.status === 'COMPLETED' || state.status === 'COMPENSATED' || state.status === 'ABORTED';
  // One statement: the step log rows join the updated row, so they are written only when the
  // version check let the update through.
  const result = await queryPrepared(
    tx,
    `with updated as (
       update ${names.instances}
          set status = $3, step = $4, phase = $5, attempt = $6, data = $7, error = $8, waiting = $9,
              deadline_at = $10, version = version + 1, updated_at = now(),
              ended_at = case when $11 then now() else ended_at end, compensation_error = $12
        where id = $1 and version = $2
        returning id
     ), logged as (
       insert into ${names.steps} (saga_id, step, step_name, phase, event, attempt, detail, message_id)
       select updated.id, step, step_name, phase, event, attempt, detail, $13
         from updated,
              unnest($14::int[], $15::text[], $16::text[], $17::text[], $18::int[], $19::text[])
                with ordinality as l(step, step_name, phase, event, attempt, detail, n)
        order by n
     )
     select id from updated`,
    [
      instance.id,
      instance.version,
      state.status,
      state.step,
      state.phase,
      state.attempt,
      JSON.stringify(state.data),
      state.error,
      state.waiting,
      state.deadlineAt === null ? null : new Date(state.deadlineAt),
      final,
      state.compensationError,
      messageId,
      log.map((entry) => entry.step),
      log.map((entry) => stepName(entry.step)),
      log.map((entry) => entry.phase),
      log.map((entry) => entry.event),
      log.map((entry) => entry.attempt),
      log.map((entry) => entry.detail),
    ],
  );
  if (result.rowCount !== 1) {
    throw new SagaError({
      code: 'SAGA_CONFLICT',
      message: `saga ${instance.id} changed since version ${instance.version} was read`,
      retriable: true,
    });
  }
}

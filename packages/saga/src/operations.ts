import { parseOptions, type Queryable } from '@trackops/core';
import { z } from 'zod';
import { SagaError } from './errors.js';
import {
  sagaStatuses,
  type SagaState,
  type SagaStatus,
  type StepEvent,
  type StepPhase,
} from './machine.js';
import { instanceColumns, instanceOf } from './store.js';
import { sagaTableNames, type SagaTablesOptions } from './tables.js';

/**
 * A saga instance as the query API returns it: its state (with the deadline as a `Date`) and
 * the row's identity and timestamps.
 */
export interface SagaSummary extends Omit<SagaState, 'deadlineAt'> {
  id: string;
  sagaType: string;
  correlationId: string | null;
  version: number;
  deadlineAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  endedAt: Date | null;
}

/** One step-log entry as the query API returns it. */
export interface SagaStepRecord {
  step: number;
  stepName: string | null;
  phase: StepPhase;
  event: StepEvent;
  attempt: number;
  detail: string | null;
  /** The inbox id of the reply that caused it, if one did. */
  messageId: string | null;
  at: Date;
}

/** A saga with its step log, oldest entry first. */
export interface SagaDetails extends SagaSummary {
  steps: SagaStepRecord[];
}

/** Filters of {@link listSagas}. */
export const listSagasSchema = z
  .object({
    /** Only sagas in these statuses. */
    status: z.array(z.union(sagaStatuses.map((status) => z.literal(status)))).optional(),
    /** Only sagas of this type. */
    sagaType: z.string().optional(),
    /** Only sagas not updated for at least this long (finds stuck ones). */
    idleForMs: z.int().min(0).optional(),
    /** @defaultValue 100 */
    limit: z.int().min(1).max(10_000).default(100),
  })
  .strict();

/** Filters of {@link listSagas}. */
export type ListSagasOptions = z.input<typeof listSagasSchema>;

function summaryOf(row: Record<string, unknown>): SagaSummary {
  const { state, ...instance } = instanceOf(row);
  return {
    ...instance,
    ...state,
    deadlineAt: state.deadlineAt === null ? null : new Date(state.deadlineAt),
    updatedAt: row['updated_at'] as Date,
    endedAt: row['ended_at'] as Date | null,
  };
}

/**
 * Lists sagas, oldest first, by status, type and idle time.
 *
 * @example
 * ```ts
 * const stuck = await listSagas(pool, { status: ['COMPENSATION_FAILED'] });
 * const slow = await listSagas(pool, { status: ['RUNNING'], idleForMs: 60_000 });
 * ```
 * @throws TrackOpsError `INVALID_OPTIONS` naming the filter.
 */
export async function listSagas(
  db: Queryable,
  filters: ListSagasOptions = {},
  tables: SagaTablesOptions = {},
): Promise<SagaSummary[]> {
  const { status, sagaType, idleForMs, limit } = parseOptions(
    listSagasSchema,
    filters,
    'listSagas',
  );
  const names = sagaTableNames(tables);
  const { rows } = await db.query<Record<string, unknown>>(
    `select ${instanceColumns} from ${names.instances}
      where ($1::text[] is null or status = any($1))
        and ($2::text is null or saga_type = $2)
        and ($3::int is null or updated_at <= now() - make_interval(secs => $3::int / 1000.0))
      order by created_at, id
      limit $4`,
    [status ?? null, sagaType ?? null, idleForMs ?? null, limit],
  );
  return rows.map(summaryOf);
}

/**
 * One saga with its step log.
 * @throws SagaError `SAGA_NOT_FOUND`.
 */
export async function getSaga(
  db: Queryable,
  sagaId: string,
  tables: SagaTablesOptions = {},
): Promise<SagaDetails> {
  const names = sagaTableNames(tables);
  const { rows } = await db.query<Record<string, unknown>>(
    `select ${instanceColumns} from ${names.instances} where id::text = $1`,
    [sagaId],
  );
  if (rows[0] === undefined) {
    throw new SagaError({ code: 'SAGA_NOT_FOUND', message: `no saga with id ${sagaId}` });
  }
  const steps = await db.query<Record<string, unknown>>(
    `select step, step_name, phase, event, attempt, detail, message_id, at
       from ${names.steps} where saga_id = $1 order by id`,
    [sagaId],
  );
  return {
    ...summaryOf(rows[0]),
    steps: steps.rows.map((row) => ({
      step: row['step'] as number,
      stepName: row['step_name'] as string | null,
      phase: row['phase'] as StepPhase,
      event: row['event'] as StepEvent,
      attempt: row['attempt'] as number,
      detail: row['detail'] as string | null,
      messageId: row['message_id'] as string | null,
      at: row['at'] as Date,
    })),
  };
}

/** Counts for dashboards and alerts. */
export interface SagaStats {
  /** Sagas per status. */
  byStatus: Record<SagaStatus, number>;
  /**
   * Sagas that need attention: `COMPENSATION_FAILED` ones, and active ones whose deadline is
   * more than `stuckAfterMs` overdue (no runtime is polling) or that have nothing scheduled
   * and were not updated for `stuckAfterMs`.
   */
  stuck: number;
  /** Age of the oldest active saga, in ms (0 when none). */
  oldestActiveMs: number;
}

/**
 * Counts sagas by status, and the stuck ones.
 * @param options - `stuckAfterMs`: how overdue or idle an active saga must be to count as stuck
 *   (default 60000); `schema`: the saga tables' schema.
 */
export async function sagaStats(
  db: Queryable,
  options: { stuckAfterMs?: number } & SagaTablesOptions = {},
): Promise<SagaStats> {
  const names = sagaTableNames(options);
  const stuckAfter = (options.stuckAfterMs ?? 60_000) / 1000;
  const { rows } = await db.query<{
    status: SagaStatus;
    count: string;
    stuck: string;
    oldest_ms: string | null;
  }>(
    `select status, count(*)::text as count,
            count(*) filter (where status = 'COMPENSATION_FAILED'
              or (status in ('RUNNING', 'COMPENSATING') and (
                   deadline_at < now() - make_interval(secs => $1)
                or (deadline_at is null and updated_at < now() - make_interval(secs => $1))))
            )::text as stuck,
            (extract(epoch from now() - min(created_at) filter (where status in ('RUNNING', 'COMPENSATING'))) * 1000)::bigint::text as oldest_ms
       from ${names.instances} group by status`,
    [stuckAfter],
  );
  const byStatus = Object.fromEntries(sagaStatuses.map((status) => [status, 0])) as Record<
    SagaStatus,
    number
  >;
  let stuck = 0;
  let oldestActiveMs = 0;
  for (const row of rows) {
    byStatus[row.status] = Number(row.count);
    stuck += Number(row.stuck);
    if (row.oldest_ms !== null) oldestActiveMs = Math.max(oldestActiveMs, Number(row.oldest_ms));
  }
  return { byStatus, stuck, oldestActiveMs };
}

import {
  quoteIdentifier,
  runMigrations,
  type ConnectionPool,
  type MigrationResult,
} from '@trackops/core';
import { migrate as migrateOutbox, migrateInbox } from '@trackops/outbox';
import { z } from 'zod';

/** Where a saga runtime or participant keeps its tables. */
export const sagaTablesSchema = z.object({
  /** The PostgreSQL schema of the saga tables. @defaultValue `'public'` */
  schema: z.string().default('public'),
});

/** Options naming the saga tables' schema. */
export type SagaTablesOptions = z.input<typeof sagaTablesSchema>;

/** The saga tables' quoted names. @internal */
export interface SagaTableNames {
  schema: string;
  instances: string;
  steps: string;
  /** The outbox the runtime's commands and the participants' replies leave through. */
  outbox: { schema: string; table: string };
  /** The inbox that makes each reply or command count once. */
  inbox: { schema: string; table: string };
  inboxQualified: string;
}

/** @internal */
export function sagaTableNames(options: SagaTablesOptions = {}): SagaTableNames {
  const { schema } = sagaTablesSchema.parse(options);
  const quoted = quoteIdentifier(schema, 'schema');
  return {
    schema,
    instances: `${quoted}.saga_instances`,
    steps: `${quoted}.saga_steps`,
    outbox: { schema, table: 'saga_outbox' },
    inbox: { schema, table: 'saga_inbox' },
    inboxQualified: `${quoted}.saga_inbox`,
  };
}

/**
 * Creates or upgrades the orchestrator's tables: `saga_instances` (one row per saga, with an
 * optimistic `version`), `saga_steps` (the step log), and the `saga_outbox` / `saga_inbox`
 * its commands and replies pass through. Idempotent; safe when several processes start at once.
 */
export async function migrateSagas(
  pool: ConnectionPool,
  options: SagaTablesOptions = {},
): Promise<MigrationResult> {
  const names = sagaTableNames(options);
  await migrateParticipant(pool, options);
  return runMigrations(
    pool,
    {
      schema: names.schema,
      historyTable: 'saga_migrations',
      lockKey: `trackops:saga:migrate:${names.schema}`,
    },
    [
      {
        version: 1,
        name: 'create saga instances and step log',
        sql: `
          create table ${names.instances} (
            id uuid primary key,
            saga_type text not null,
            status text not null,
            step integer not null,
            phase text not null,
            attempt integer not null,
            data jsonb not null,
            error text,
            compensation_error text,
            correlation_id text,
            -- Bumped by every transition; an update that finds another version lost a race.
            version integer not null default 0,
            waiting text,
            deadline_at timestamptz,
            created_at timestamptz not null default now(),
            updated_at timestamptz not null default now(),
            ended_at timestamptz
          );
          -- The timeout poller's queue: only sagas with something scheduled.
          create index saga_instances_deadline_idx on ${names.instances} (deadline_at)
            where deadline_at is not null;
          create index saga_instances_status_idx on ${names.instances} (status, created_at);
          create table ${names.steps} (
            id bigint generated always as identity primary key,
            saga_id uuid not null references ${names.instances} (id) on delete cascade,
            step integer not null,
            step_name text,
            phase text not null,
            event text not null,
            attempt integer not null,
            detail text,
            message_id text,
            at timestamptz not null default now()
          );
          create index saga_steps_saga_idx on ${names.steps} (saga_id, id);`,
      },
    ],
  );
}

/**
 * Creates or upgrades what a participant needs in its own database: the `saga_outbox` its
 * replies leave through and the `saga_inbox` that makes each command count once.
 */
export async function migrateParticipant(
  pool: ConnectionPool,
  options: SagaTablesOptions = {},
): Promise<void> {
  const names = sagaTableNames(options);
  await migrateOutbox(pool, names.outbox);
  await migrateInbox(pool, names.inbox);
}

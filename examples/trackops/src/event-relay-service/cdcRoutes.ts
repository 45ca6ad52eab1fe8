/**
 * What the console's CDC panel shows. `GET /api/cdc/connectors`: each Debezium connector this
 * service registers, its tasks (with the failure trace's first line) and the replication slots
 * on its database with the WAL they hold back. `GET /api/cdc/changes`: the last change events
 * of each captured table.
 */
import { slotLag, type ConnectClient } from '@trackops/cdc';
import type { Queryable } from '@trackops/core';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HttpApp } from '../shared/http.js';
import type { ConnectorSpec } from './connectors.js';
import type { RecentChanges } from './recentChanges.js';

const unit = z.object({
  state: z.string(),
  workerId: z.string().nullable(),
  /** The first line of the worker's stack trace, when FAILED. */
  trace: z.string().nullable(),
});

const connectorView = z.object({
  name: z.string(),
  database: z.string(),
  tables: z.array(z.string()),
  topicPrefix: z.string(),
  /** `NOT_REGISTERED` or `UNREACHABLE` (Kafka Connect did not answer) besides Connect's states. */
  connector: unit,
  tasks: z.array(unit.extend({ id: z.int() })),
  slots: z.array(
    z.object({
      slotName: z.string(),
      active: z.boolean(),
      /** WAL the server keeps for the slot (bytes); `null` before the slot has a position. */
      retainedWalBytes: z.number().nullable(),
      /** How far the connector's acknowledged position is behind the server (bytes). */
      confirmedLagBytes: z.number().nullable(),
      walStatus: z.string().nullable(),
    }),
  ),
});

const recentChange = z.object({
  op: z.enum(['c', 'u', 'd', 'r', 't', 'error']),
  key: z.record(z.string(), z.unknown()).nullable(),
  columns: z.array(z.string()),
  committedAt: z.string(),
  lagMs: z.number(),
  lsn: z.string().nullable(),
  error: z.string().nullable(),
});

const firstLine = (trace: string | undefined): string | null => trace?.split('\n')[0] ?? null;
const asNumber = (bytes: bigint | null): number | null => (bytes === null ? null : Number(bytes));

export function cdcRoutes(
  http: HttpApp,
  context: {
    connect: ConnectClient;
    db: Queryable;
    connectors: readonly ConnectorSpec[];
    recentChanges: RecentChanges;
  },
): void {
  const app = http.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/api/cdc/changes',
    {
      schema: {
        tags: ['cdc'],
        summary:
          'The last change events of each captured table (newest first), seen since the service started',
        response: {
          200: z.object({ topics: z.record(z.string(), z.array(recentChange)) }),
        },
      },
    },
    () => Promise.resolve({ topics: context.recentChanges.byTopic() }),
  );

  app.get(
    '/api/cdc/connectors',
    {
      schema: {
        tags: ['cdc'],
        summary: 'The Debezium connectors: state, tasks and replication-slot lag',
        response: { 200: z.object({ items: z.array(connectorView) }) },
      },
    },
    async () => {
      // Slots are per server: one query answers for every connector's database.
      const slots = await slotLag(context.db);
      const items = await Promise.all(
        context.connectors.map(async (spec) => {
          const status = await context.connect.status(spec.name).then(
            (found) => found ?? ('NOT_REGISTERED' as const),
            () => 'UNREACHABLE' as const,
          );
          const described =
            typeof status === 'string'
              ? { connector: { state: status, workerId: null, trace: null }, tasks: [] }
              : {
                  connector: {
                    state: status.connector.state,
                    workerId: status.connector.workerId,
                    trace: firstLine(status.connector.trace),
                  },
                  tasks: status.tasks.map((task) => ({
                    id: task.id,
                    state: task.state,
                    workerId: task.workerId,
                    trace: firstLine(task.trace),
                  })),
                };
          return {
            name: spec.name,
            database: spec.database,
            tables: [...spec.tables],
            topicPrefix: spec.topicPrefix,
            ...described,
            slots: slots
              .filter((slot) => slot.database === spec.database)
              .map((slot) => ({
                slotName: slot.slotName,
                active: slot.active,
                retainedWalBytes: asNumber(slot.retainedWalBytes),
                confirmedLagBytes: asNumber(slot.confirmedLagBytes),
                walStatus: slot.walStatus,
              })),
          };
        }),
      );
      return { items };
    },
  );
}

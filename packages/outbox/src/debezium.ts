import { debeziumPostgresConnection, parseOptions, slotNameFor } from '@trackops/core';
import { z } from 'zod';
import { routeSchema } from './routing.js';
import { outboxNames, outboxTableSchema } from './table.js';

/** Options of {@link debeziumOutboxConnector}. */
export const debeziumOutboxOptionsSchema = z
  .object({
    /** The connector's name in Kafka Connect. @defaultValue `'trackops-outbox'` */
    name: z.string().min(1).default('trackops-outbox'),
    /** How Connect reaches PostgreSQL: `postgres://user:password@host:port/database`. */
    databaseUrl: z.url({ protocol: /^postgres(ql)?$/ }),
    /** The outbox table — the same options the relay takes. */
    table: outboxTableSchema.prefault({}),
    /** Topic routing — the same options the relay takes. */
    route: routeSchema.prefault({}),
    /**
     * The replication slot (one per connector). @defaultValue the connector name with `-` as `_`
     */
    slotName: z
      .string()
      .regex(/^[a-z0-9_]{1,63}$/, 'lower-case letters, digits and _ only')
      .optional(),
    /** The publication, created filtered to the outbox table. @defaultValue the slot name */
    publicationName: z
      .string()
      .regex(/^[a-z0-9_]{1,63}$/, 'lower-case letters, digits and _ only')
      .optional(),
    /**
     * Where streaming starts on first start: `no_data` (default) streams changes from now on —
     * right when the relay has drained the table; `initial` also emits every row already in
     * the table, published or not.
     */
    snapshotMode: z.union([z.literal('no_data'), z.literal('initial')]).default('no_data'),
    /** Heartbeats keep the slot's position moving when the outbox is quiet. @defaultValue 10000 */
    heartbeatIntervalMs: z.int().min(0).default(10_000),
    /** Extra connector settings, applied last. */
    overrides: z.record(z.string(), z.string()).default({}),
  })
  .strict();

export type DebeziumOutboxOptions = z.input<typeof debeziumOutboxOptionsSchema>;

/** A connector as Kafka Connect's REST API takes it (`PUT /connectors/{name}/config`). */
export interface ConnectorDefinition {
  name: string;
  config: Record<string, string>;
}

/**
 * The Debezium PostgreSQL connector that relays the outbox table with Debezium's Outbox Event
 * Router, configured so each row reaches Kafka as the same record the TrackOps relay
 * publishes: the same topic (same `route` options), key (aggregate id, as a string), value
 * (the jsonb payload as PostgreSQL prints it) and headers (`id`, `type`, `correlation-id`,
 * `causation-id`, `traceparent`). Switching strategy is a change of configuration: stop the
 * relay when its backlog is 0, then register this connector (see the package README for the
 * differences that remain).
 *
 * @example
 * ```ts
 * const { name, config } = debeziumOutboxConnector({
 *   databaseUrl: 'postgres://debezium:secret@db:5432/orders',
 *   route: { topic: 'orders.${routedByValue}' },
 * });
 * await fetch(`${connectUrl}/connectors/${name}/config`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(config) });
 * ```
 */
export function debeziumOutboxConnector(options: DebeziumOutboxOptions): ConnectorDefinition {
  const resolved = parseOptions(debeziumOutboxOptionsSchema, options, 'debeziumOutboxConnector');
  const names = outboxNames(resolved.table);
  const slot = resolved.slotName ?? slotNameFor(resolved.name);
  const headerFields = [
    'type:header:type',
    'correlation_id:header:correlation-id',
    'causation_id:header:causation-id',
    'traceparent:header:traceparent',
  ];
  return {
    name: resolved.name,
    config: {
      ...debeziumPostgresConnection(resolved.databaseUrl),
      // Required by Debezium; the routed topics do not use it.
      'topic.prefix': slot,
      'slot.name': slot,
      'publication.name': resolved.publicationName ?? slot,
      'publication.autocreate.mode': 'filtered',
      'table.include.list': `${names.schema}.${names.table}`,
      'snapshot.mode': resolved.snapshotMode,
      'heartbeat.interval.ms': String(resolved.heartbeatIntervalMs),
      // The relay deletes published rows; those deletes are not events.
      'tombstones.on.delete': 'false',
      transforms: 'outbox',
      'transforms.outbox.type': 'io.debezium.transforms.outbox.EventRouter',
      'transforms.outbox.route.by.field': resolved.route.by,
      'transforms.outbox.route.topic.replacement': resolved.route.topic,
      'transforms.outbox.table.field.event.key': 'aggregateid',
      'transforms.outbox.table.fields.additional.placement': headerFields.join(','),
      // The relay's own bookkeeping (published_at, attempts …) updates rows; not events either.
      'transforms.outbox.debezium.op.invalid.behavior': 'warn',
      // Key and value as plain strings: the aggregate id, and the jsonb text verbatim.
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      ...resolved.overrides,
    },
  };
}

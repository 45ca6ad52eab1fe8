import { debeziumPostgresConnection, parseOptions, slotNameFor } from '@trackops/core';
import { z } from 'zod';
import type { ConnectorDefinition } from './connectClient.js';

const slotIdentifier = z
  .string()
  .regex(/^[a-z0-9_]{1,63}$/, 'must be 1-63 lower-case letters, digits or _');

const operation = z.union([z.literal('c'), z.literal('u'), z.literal('d'), z.literal('t')]);

/** Options of {@link postgresConnectorConfig}. */
export const postgresConnectorOptionsSchema = z
  .object({
    /** The connector's name in Kafka Connect. */
    name: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[^/\\\s][^/\\]*$/, 'must not contain / or \\ nor start with a space'),
    /**
     * How Connect (not your service) reaches PostgreSQL:
     * `postgres://user:password@host:port/database`. The user needs `REPLICATION` and, for the
     * filtered publication, ownership of the tables (or a publication created beforehand).
     */
    databaseUrl: z.url({ protocol: /^postgres(ql)?$/ }),
    /** `topic.prefix`: topics are `<topicPrefix>.<schema>.<table>`. */
    topicPrefix: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,200}$/, 'must be letters, digits, ., _ or - (a Kafka topic name)'),
    /** The captured tables, each `schema.table`, e.g. `['public.orders']`. */
    tables: z
      .array(
        z
          .string()
          .regex(
            /^[A-Za-z_][A-Za-z0-9_]{0,62}\.[A-Za-z_][A-Za-z0-9_]{0,62}$/,
            'must be schema.table (letters, digits, _)',
          ),
      )
      .min(1, 'must list at least one schema.table'),
    /**
     * The replication slot. One per connector: two connectors on one slot steal each other's
     * changes. @defaultValue the connector name, lower-cased, other characters as `_`
     */
    slotName: slotIdentifier.optional(),
    /** The publication, created for exactly `tables`. @defaultValue the slot name */
    publicationName: slotIdentifier.optional(),
    /**
     * What to read when the connector has no committed offset (first start, or the offsets
     * were deleted): `initial` (every existing row as `op: 'r'`, then changes), `no_data`
     * (changes from now on), `when_needed` (`initial` also when the slot's position is gone),
     * `initial_only` (the snapshot, then stop), `always` (a snapshot at every start). See the
     * README, "Operations".
     *
     * @defaultValue `'initial'`
     */
    snapshotMode: z
      .union([
        z.literal('initial'),
        z.literal('no_data'),
        z.literal('when_needed'),
        z.literal('initial_only'),
        z.literal('always'),
      ])
      .default('initial'),
    /**
     * Heartbeat records (topic `__debezium-heartbeat.<topicPrefix>`) let the connector commit
     * its position while the captured tables are quiet, so the slot does not hold WAL written
     * by other activity. 0 disables them.
     *
     * @defaultValue 10000
     */
    heartbeatIntervalMs: z.int().min(0).default(10_000),
    /**
     * JsonConverter `schemas.enable` for key and value. With `true` every record carries its
     * Connect schema, so the decoder converts logical types (decimals, timestamps …) with no
     * table declaration; `false` makes records several times smaller but needs the table
     * declared with the `column` helpers for those types.
     *
     * @defaultValue `true`
     */
    schemasEnable: z.boolean().default(true),
    /**
     * `decimal.handling.mode`: `precise` (Debezium's exact binary form, decoded to exact text),
     * `string` (exact text on the wire) or `double` (lossy; only if you accept rounding).
     *
     * @defaultValue `'precise'`
     */
    decimalHandling: z
      .union([z.literal('precise'), z.literal('string'), z.literal('double')])
      .default('precise'),
    /**
     * `provide.transaction.metadata`: BEGIN/END records on `<topicPrefix>.transaction` and a
     * `transaction` block in each change event.
     *
     * @defaultValue `false`
     */
    provideTransactionMetadata: z.boolean().default(false),
    /**
     * `skipped.operations`: operations not emitted. Debezium's own default skips truncates
     * (`t`); an empty list emits everything (`none`).
     *
     * @defaultValue `['t']`
     */
    skippedOperations: z.array(operation).default(['t']),
    /** Further connector settings, applied last (they win over everything above). */
    extra: z.record(z.string(), z.string()).default({}),
  })
  .strict();

/** Options of {@link postgresConnectorConfig}; see {@link postgresConnectorOptionsSchema}. */
export type PostgresConnectorOptions = z.input<typeof postgresConnectorOptionsSchema>;

const JSON_CONVERTER = 'org.apache.kafka.connect.json.JsonConverter';

/**
 * A Debezium PostgreSQL connector configuration with safe defaults: the `pgoutput` plugin
 * (built into PostgreSQL 10+), a publication created for exactly the listed tables
 * (`publication.autocreate.mode=filtered`), an explicit slot name, heartbeats, and
 * JsonConverter for key and value — the format {@link createDecoder} reads.
 *
 * @throws TrackOpsError `INVALID_OPTIONS` naming the bad option, e.g.
 *   `tables.0: must be schema.table (letters, digits, _)`.
 *
 * @example
 * ```ts
 * const connector = postgresConnectorConfig({
 *   name: 'orders-cdc',
 *   databaseUrl: 'postgres://debezium:secret@db:5432/orders',
 *   topicPrefix: 'orders',
 *   tables: ['public.orders', 'public.order_items'],
 * });
 * await ensureConnector(connect, connector, { waitForSlot: { db: pool } });
 * ```
 */
export function postgresConnectorConfig(options: PostgresConnectorOptions): ConnectorDefinition {
  const resolved = parseOptions(postgresConnectorOptionsSchema, options, 'postgresConnectorConfig');
  const slot = resolved.slotName ?? slotNameFor(resolved.name);
  const schemas = String(resolved.schemasEnable);
  return {
    name: resolved.name,
    config: {
      ...debeziumPostgresConnection(resolved.databaseUrl),
      'topic.prefix': resolved.topicPrefix,
      'slot.name': slot,
      'publication.name': resolved.publicationName ?? slot,
      'publication.autocreate.mode': 'filtered',
      'table.include.list': resolved.tables.join(','),
      'snapshot.mode': resolved.snapshotMode,
      'heartbeat.interval.ms': String(resolved.heartbeatIntervalMs),
      'decimal.handling.mode': resolved.decimalHandling,
      'provide.transaction.metadata': String(resolved.provideTransactionMetadata),
      'skipped.operations':
        resolved.skippedOperations.length === 0
          ? 'none'
          : [...new Set(resolved.skippedOperations)].join(','),
      // Set on the connector, not left to the worker's defaults, so the records' format does
      // not change when the connector moves to a differently configured worker.
      'key.converter': JSON_CONVERTER,
      'key.converter.schemas.enable': schemas,
      'value.converter': JSON_CONVERTER,
      'value.converter.schemas.enable': schemas,
      ...resolved.extra,
    },
  };
}

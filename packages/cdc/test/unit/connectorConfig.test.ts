import { describe, expect, it } from 'vitest';
import { isTrackOpsError } from '@trackops/core';
import { postgresConnectorConfig, type PostgresConnectorOptions } from '@trackops/cdc';

const base: PostgresConnectorOptions = {
  name: 'Orders-CDC',
  databaseUrl: 'postgres://debezium:s%40cret@db.internal:6543/orders',
  topicPrefix: 'orders',
  tables: ['public.orders', 'sales.order_items'],
};

function optionError(options: unknown): string {
  try {
    postgresConnectorConfig(options as PostgresConnectorOptions);
  } catch (error) {
    expect(isTrackOpsError(error, 'INVALID_OPTIONS')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected postgresConnectorConfig to throw');
}

describe('postgresConnectorConfig', () => {
  it('builds a pgoutput connector with a filtered publication, an explicit slot and heartbeats', () => {
    expect(postgresConnectorConfig(base)).toEqual({
      name: 'Orders-CDC',
      config: {
        'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
        'tasks.max': '1',
        'plugin.name': 'pgoutput',
        'database.hostname': 'db.internal',
        'database.port': '6543',
        'database.user': 'debezium',
        'database.password': 's@cret',
        'database.dbname': 'orders',
        'topic.prefix': 'orders',
        'slot.name': 'orders_cdc',
        'publication.name': 'orders_cdc',
        'publication.autocreate.mode': 'filtered',
        'table.include.list': 'public.orders,sales.order_items',
        'snapshot.mode': 'initial',
        'heartbeat.interval.ms': '10000',
        'decimal.handling.mode': 'precise',
        'provide.transaction.metadata': 'false',
        'skipped.operations': 't',
        'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'key.converter.schemas.enable': 'true',
        'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'value.converter.schemas.enable': 'true',
      },
    });
  });

  it('applies the options and lets extra settings win', () => {
    const { config } = postgresConnectorConfig({
      ...base,
      databaseUrl: 'postgresql://u@db/orders',
      slotName: 'orders_slot',
      publicationName: 'orders_pub',
      snapshotMode: 'no_data',
      heartbeatIntervalMs: 0,
      schemasEnable: false,
      decimalHandling: 'string',
      provideTransactionMetadata: true,
      skippedOperations: [],
      extra: { 'heartbeat.interval.ms': '500', 'tombstones.on.delete': 'false' },
    });
    expect(config).toMatchObject({
      'database.port': '5432',
      'database.password': '',
      'slot.name': 'orders_slot',
      'publication.name': 'orders_pub',
      'snapshot.mode': 'no_data',
      'heartbeat.interval.ms': '500',
      'key.converter.schemas.enable': 'false',
      'value.converter.schemas.enable': 'false',
      'decimal.handling.mode': 'string',
      'provide.transaction.metadata': 'true',
      'skipped.operations': 'none',
      'tombstones.on.delete': 'false',
    });
    expect(
      postgresConnectorConfig({ ...base, skippedOperations: ['t', 'd', 't'] }).config[
        'skipped.operations'
      ],
    ).toBe('t,d');
  });

  it('names the option in every error', () => {
    expect(optionError({ ...base, slotName: 'Orders-Slot' })).toMatch(
      /postgresConnectorConfig options: slotName: must be 1-63 lower-case letters, digits or _/,
    );
    expect(optionError({ ...base, publicationName: 'a'.repeat(64) })).toMatch(/publicationName:/);
    expect(optionError({ ...base, tables: ['orders'] })).toMatch(
      /tables\.0: must be schema\.table/,
    );
    expect(optionError({ ...base, tables: ['public.orders', 'public.or-ders'] })).toMatch(
      /tables\.1: must be schema\.table/,
    );
    expect(optionError({ ...base, tables: [] })).toMatch(/tables: must list at least one/);
    expect(optionError({ ...base, tables: undefined })).toMatch(/tables:/);
    expect(optionError({ ...base, databaseUrl: 'mysql://db/orders' })).toMatch(/databaseUrl:/);
    expect(optionError({ ...base, topicPrefix: 'orders/eu' })).toMatch(/topicPrefix:/);
    expect(optionError({ ...base, name: '' })).toMatch(/name:/);
    expect(optionError({ ...base, snapshotMode: 'never' })).toMatch(/snapshotMode:/);
    expect(optionError({ ...base, heartbeatIntervalMs: -1 })).toMatch(/heartbeatIntervalMs:/);
    expect(optionError({ ...base, decimalHandling: 'lossy' })).toMatch(/decimalHandling:/);
    expect(optionError({ ...base, skippedOperations: ['x'] })).toMatch(/skippedOperations\.0:/);
    expect(optionError({ ...base, extra: { 'tasks.max': 2 } })).toMatch(/extra\.tasks\.max:/);
    expect(optionError({ ...base, slot: 'typo' })).toMatch(/slot/);
  });
});

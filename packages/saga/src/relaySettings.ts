import type { ConnectionPool, Logger } from '@trackops/core';
import { relayOptionsSchema, type RelayOptions } from '@trackops/outbox';
import type { Kafka } from 'kafkajs';
import type { z } from 'zod';

/**
 * The relay options a saga runtime or participant lets callers tune (batch size, polling,
 * backoff, retention …): everything except what the saga decides itself — the pool, Kafka
 * client, table, routing and logger.
 */
export const relaySettingsSchema = relayOptionsSchema.omit({
  pool: true,
  kafka: true,
  table: true,
  route: true,
  signal: true,
  logger: true,
});

/** Relay settings of a saga runtime or participant. */
export type RelaySettings = z.input<typeof relaySettingsSchema>;

/**
 * The relay of a saga outbox: commands and replies carry their destination topic as
 * `aggregatetype`, and the saga id as `aggregateid` (the record key).
 * @internal
 */
export function relayOptionsFor(
  settings: z.output<typeof relaySettingsSchema>,
  context: {
    pool: ConnectionPool;
    kafka: Kafka;
    table: { schema: string; table: string };
    logger: Logger;
  },
): RelayOptions {
  return {
    ...settings,
    ...context,
    route: { by: 'aggregatetype', topic: '${routedByValue}' },
  };
}

/**
 * Saga orchestration persisted in PostgreSQL, with commands and replies over Kafka.
 *
 * Not implemented yet (issue 6): this module exports only {@link VERSION}.
 *
 * @packageDocumentation
 */

/**
 * The version of this package, equal to the `version` in its package.json.
 */
export const VERSION = '0.0.0';

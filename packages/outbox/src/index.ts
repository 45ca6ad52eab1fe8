/**
 * The transactional outbox for PostgreSQL and Kafka, with an inbox for idempotent consumers.
 *
 * Not implemented yet (issue 4): this module exports only {@link VERSION}.
 *
 * @packageDocumentation
 */

/**
 * The version of this package, equal to the `version` in its package.json.
 */
export const VERSION = '0.0.0';

/**
 * Typed decoding of Debezium change events, a Kafka Connect client and typed CDC consumers.
 *
 * Not implemented yet (issue 5): this module exports only {@link VERSION}.
 *
 * @packageDocumentation
 */

/**
 * The version of this package, equal to the `version` in its package.json.
 */
export const VERSION = '0.0.0';

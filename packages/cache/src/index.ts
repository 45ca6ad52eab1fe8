/**
 * Cache-aside on Redis with invalidation and warming driven by CDC events.
 *
 * Not implemented yet (issue 7): this module exports only {@link VERSION}.
 *
 * @packageDocumentation
 */

/**
 * The version of this package, equal to the `version` in its package.json.
 */
export const VERSION = '0.0.0';

/**
 * The version of this package, equal to the `version` in its package.json.
 */
export const VERSION = '0.0.0';

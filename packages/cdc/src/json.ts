import { parse } from 'lossless-json';
import { DebeziumDecodeError, renderPath, type Path } from './errors.js';

/**
 * A JSON value as the decoder parses it: like `JSON.parse`'s, except that integers beyond
 * `Number.MAX_SAFE_INTEGER` are `bigint` instead of being rounded.
 */
export type JsonValue =
  null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };

const integer = /^-?\d+$/;

// Safe integers and every non-integer stay numbers; only integers JSON.parse would round
// become bigint (Debezium's ts_ns, bigint columns at the extremes, int64 logical values).
function parseNumber(text: string): number | bigint {
  const value = Number(text);
  if (Number.isSafeInteger(value) || !integer.test(text)) return value;
  return BigInt(text);
}

/**
 * Parses JSON text without losing large integers (see {@link JsonValue}). lossless-json rejects
 * duplicate keys, which PostgreSQL's `json` type keeps; for those texts alone this falls back
 * to `JSON.parse` semantics (the last duplicate wins), as PostgreSQL's own `::jsonb` does.
 *
 * @internal
 */
export function parseJson(text: string, path: Path): JsonValue {
  try {
    return parse(text, null, parseNumber) as JsonValue;
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('Duplicate key')) {
      try {
        return JSON.parse(text) as JsonValue;
      } catch {
        // Report the lossless parser's error below.
      }
    }
    throw new DebeziumDecodeError({
      code: 'CDC_INVALID_JSON',
      path: renderPath(path),
      expected: 'JSON text',
      found: error instanceof Error ? error.message : String(error),
      cause: error,
    });
  }
}

/** @internal */
export function isJsonObject(value: unknown): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

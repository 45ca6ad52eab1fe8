import { parse } from 'lossless-json';
import { DebeziumDecodeError, renderPath, type Path } from './errors.js';
import {
  BIG_INTEGER_SENTINEL,
  quoteBigIntegers,
  quoteBigIntegersOptimistic,
  type QuotedText,
} from './jsonScan.js';

/**
 * A JSON value as the decoder parses it: like `JSON.parse`'s, except that integers beyond
 * `Number.MAX_SAFE_INTEGER` are `bigint` instead of being rounded.
 */
export type JsonValue =
  null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Parses JSON text without losing large integers (see {@link JsonValue}): the result equals
 * `JSON.parse(text)` except that integer literals beyond `Number.MAX_SAFE_INTEGER` are exact
 * `bigint`s. Duplicate keys, which PostgreSQL's `json` type keeps, follow `JSON.parse` (the last
 * one wins), as PostgreSQL's own `::jsonb` does.
 *
 * Speed (issue 5 asks for 0.75× bare `JSON.parse`): one pass finds the integer literals
 * `JSON.parse` would round ({@link quoteBigIntegersOptimistic}: it samples one character in 16,
 * since a 16-digit run must cover a sampled position, instead of reading every character). Most
 * texts have none and go to `JSON.parse` as they are; every Debezium change event has at least
 * one (`ts_ns`), so those are rewritten with each such literal quoted behind a sentinel, parsed by
 * `JSON.parse`, and the few sentinel strings turned into `bigint` by a walk that stops once it
 * has found them all. When that rewrite does not parse — a digit run inside a string was taken
 * for a number (the rewrite then always breaks the text), or the text is not JSON — the exact
 * scan ({@link quoteBigIntegers}, which walks the strings) is tried; a text neither can vouch for
 * (one that could already hold the sentinel) and any text `JSON.parse` rejects go to
 * lossless-json, which parses them as before and words the error.
 *
 * @internal
 */
export function parseJson(text: string, path: Path): JsonValue {
  const quoted = quoteBigIntegersOptimistic(text);
  if (quoted !== undefined) {
    try {
      return parseQuoted(quoted);
    } catch {
      // Not JSON, or a digit run inside a string was quoted: the exact scan decides. With
      // nothing quoted the text was parsed as it is, and the exact scan (which quotes a subset
      // of what this one quotes) would change nothing either.
      if (quoted.count === 0) return parseLossless(text, path);
    }
  }
  const exact = quoteBigIntegers(text);
  if (exact !== undefined) {
    try {
      return parseQuoted(exact);
    } catch {
      // Not JSON: the careful path below reports where.
    }
  }
  return parseLossless(text, path);
}

function parseQuoted(quoted: QuotedText): JsonValue {
  const value = JSON.parse(quoted.text) as JsonValue;
  return quoted.count === 0 ? value : restoreBigIntegers(value, quoted.count);
}

// Safe integers and every non-integer stay numbers; only integers JSON.parse would round
// become bigint (Debezium's ts_ns, bigint columns at the extremes, int64 logical values).
const integer = /^-?\d+$/;

function parseNumber(text: string): number | bigint {
  const value = Number(text);
  if (Number.isSafeInteger(value) || !integer.test(text)) return value;
  return BigInt(text);
}

function parseLossless(text: string, path: Path): JsonValue {
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

/**
 * Replaces the `count` sentinel strings in a parsed value with their `bigint`s. A walk rather
 * than a `JSON.parse` reviver: V8 calls a reviver for every value (a third slower on change
 * events), while the walk only reads and stops at the last sentinel.
 *
 * It walks from the last member to the first: Debezium puts its always-big `ts_ns` at the end
 * of the envelope and of `source`, and the payload after the (large, sentinel-free) Connect
 * schema, so walking backwards usually finds every sentinel before reaching the row images or
 * the schema at all.
 */
function restoreBigIntegers(value: JsonValue, count: number): JsonValue {
  const state = { left: count };
  if (typeof value === 'string') return toBigInt(value);
  if (typeof value === 'object' && value !== null) restoreIn(value, state);
  return value;
}

function toBigInt(text: string): JsonValue {
  return text.charCodeAt(0) === sentinelCode ? BigInt(text.slice(1)) : text;
}

const sentinelCode = BIG_INTEGER_SENTINEL.charCodeAt(0);

function restoreIn(
  container: JsonValue[] | { [key: string]: JsonValue },
  state: { left: number },
): void {
  if (Array.isArray(container)) {
    for (let index = container.length - 1; index >= 0; index--) {
      const item = container[index]!;
      if (typeof item === 'string') {
        if (item.charCodeAt(0) === sentinelCode) {
          container[index] = BigInt(item.slice(1));
          if (--state.left === 0) return;
        }
      } else if (typeof item === 'object' && item !== null) {
        restoreIn(item, state);
        if (state.left === 0) return;
      }
    }
    return;
  }
  const keys = Object.keys(container);
  for (let index = keys.length - 1; index >= 0; index--) {
    const key = keys[index]!;
    const item = container[key]!;
    if (typeof item === 'string') {
      if (item.charCodeAt(0) === sentinelCode) {
        const big = BigInt(item.slice(1));
        // JSON.parse makes `__proto__` an own property; plain assignment would hit the setter.
        if (key === '__proto__') {
          Object.defineProperty(container, key, {
            value: big,
            writable: true,
            enumerable: true,
            configurable: true,
          });
        } else container[key] = big;
        if (--state.left === 0) return;
      }
    } else if (typeof item === 'object' && item !== null) {
      restoreIn(item, state);
      if (state.left === 0) return;
    }
  }
}

/** @internal */
export function isJsonObject(value: unknown): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

import { isDeepStrictEqual, inspect } from 'node:util';

/**
 * A partial expectation of a value: objects match when every field given matches (others are
 * ignored), arrays element by element with the same length, anything else by value.
 */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { readonly [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** A condition on a value: a predicate, or a partial object it must match. */
export type Where<T> = ((value: T) => boolean) | DeepPartial<T>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** A value as a short, one-line text for a mismatch message. */
function show(value: unknown): string {
  const text = inspect(value, { depth: 2, breakLength: Infinity, maxArrayLength: 5 });
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Why `actual` does not match `expected` (see {@link DeepPartial}), naming the path of the first
 * difference; undefined when it matches. Integers compare equal across number and bigint, since
 * a decoded int8 column may be either.
 */
export function describeMismatch(
  actual: unknown,
  expected: unknown,
  path = '',
): string | undefined {
  const at = path || '(value)';
  if (isPlainObject(expected)) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) {
      return `${at}: expected an object, got ${show(actual)}`;
    }
    for (const [key, value] of Object.entries(expected)) {
      const mismatch = describeMismatch(
        (actual as Record<string, unknown>)[key],
        value,
        path ? `${path}.${key}` : key,
      );
      if (mismatch) return mismatch;
    }
    return undefined;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      return `${at}: expected ${show(expected)}, got ${show(actual)}`;
    }
    for (const [index, value] of expected.entries()) {
      const mismatch = describeMismatch(actual[index], value, `${path}[${index}]`);
      if (mismatch) return mismatch;
    }
    return undefined;
  }
  if (
    (typeof actual === 'bigint' && typeof expected === 'number') ||
    (typeof actual === 'number' && typeof expected === 'bigint')
  ) {
    const number = (typeof actual === 'number' ? actual : expected) as number;
    const equal = Number.isInteger(number) && BigInt(actual) === BigInt(expected);
    return equal ? undefined : `${at}: expected ${show(expected)}, got ${show(actual)}`;
  }
  return isDeepStrictEqual(actual, expected)
    ? undefined
    : `${at}: expected ${show(expected)}, got ${show(actual)}`;
}

/**
 * Why `value` fails `where` (a predicate or a partial object), prefixed with `label`; undefined
 * when it passes. A predicate that throws fails with its error's message.
 */
export function describeWhere<T>(value: T, where: Where<T>, label: string): string | undefined {
  if (typeof where === 'function') {
    try {
      return (where as (value: T) => boolean)(value)
        ? undefined
        : `${label}: the predicate returned false`;
    } catch (error) {
      return `${label}: the predicate threw ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  const mismatch = describeMismatch(value, where);
  return mismatch === undefined ? undefined : `${label} ${mismatch}`;
}

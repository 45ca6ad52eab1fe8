/**
 * Column helpers for {@link defineTable}: each is a zod schema for the JavaScript value of one
 * column (compose it with `.nullable()`, `.refine()`, `.transform()` as with any zod schema),
 * registered with the conversion from what JsonConverter writes when `schemas.enable=false`,
 * where nothing in the record says that a base64 string is a `numeric(12,4)` or that an integer
 * is a `timestamp`.
 *
 * @example
 * ```ts
 * import { column, defineTable } from '@trackops/cdc';
 *
 * const parcels = defineTable({
 *   table: 'parcels',
 *   key: ['id'],
 *   columns: {
 *     id: column.int32(),
 *     label: column.string(),
 *     weight: column.decimal({ scale: 2 }).nullable(),
 *     created_at: column.microTimestamp(),
 *     notes: column.toastable(column.string()).nullable(),
 *   },
 * });
 * ```
 *
 * @module
 */
import { z } from 'zod';
import { invalid, type Path } from './errors.js';
import { type JsonValue } from './json.js';
import * as logical from './logicalTypes.js';
import {
  UNAVAILABLE,
  isArrayPlaceholder,
  isBytesPlaceholder,
  isTextPlaceholder,
  isUnavailable,
  type Unavailable,
} from './markers.js';
import { Timestamp } from './values.js';

/** How a column's raw JSON becomes its value; kept in a zod registry next to the schema. */
interface ColumnConversion {
  /** Which rendering of the TOAST placeholder applies to this column. */
  readonly wire: 'text' | 'bytes' | 'array' | 'other';
  readonly convert: (raw: JsonValue, path: Path) => unknown;
}

// A registry (not a WeakMap) because zod 4 registries follow clones: `.refine()` and `.meta()`
// return new instances whose metadata is inherited from the registered parent.
const conversions = z.registry<ColumnConversion>();

function registered<S extends z.ZodType>(schema: S, conversion: ColumnConversion): S {
  conversions.add(schema, conversion);
  return schema;
}

function conversionOf(schema: z.ZodType): ColumnConversion | undefined {
  for (let at: z.ZodType | undefined = schema; at !== undefined;) {
    const found = conversions.get(at);
    if (found !== undefined) return found;
    // Look through wrappers: optional, nullable, default, readonly, catch (innerType) and pipes
    // such as `.transform()` (in).
    const def = at._zod.def as { innerType?: z.ZodType; in?: z.ZodType };
    at = def.innerType ?? def.in;
  }
  return undefined;
}

/**
 * Converts one column's raw JSON by its declared schema: null stays null, the TOAST placeholder
 * becomes {@link UNAVAILABLE} (validation then rejects it unless the column is
 * {@link toastable}), anything else goes through the column's conversion. A plain zod schema
 * (no helper) receives the JSON value as parsed.
 *
 * @internal
 */
export function convertColumn(schema: z.ZodType, raw: JsonValue | undefined, path: Path): unknown {
  return columnConverter(schema)(raw, path);
}

/**
 * {@link convertColumn} for one schema, with the registry looked up once: `defineTable` and
 * `array` resolve their columns' conversions when they are declared, not once per value (the
 * lookup walks zod wrappers and showed in the decode profile).
 *
 * @internal
 */
export function columnConverter(
  schema: z.ZodType,
): (raw: JsonValue | undefined, path: Path) => unknown {
  const conversion = conversionOf(schema);
  if (conversion === undefined) {
    return (raw) =>
      raw !== null && raw !== undefined && (isTextPlaceholder(raw) || isArrayPlaceholder(raw))
        ? UNAVAILABLE
        : raw;
  }
  const isPlaceholder =
    conversion.wire === 'text'
      ? isTextPlaceholder
      : conversion.wire === 'bytes'
        ? isBytesPlaceholder
        : conversion.wire === 'array'
          ? isArrayPlaceholder
          : undefined;
  const convert = conversion.convert;
  return (raw, path) => {
    if (raw === null || raw === undefined) return raw;
    return isPlaceholder !== undefined && isPlaceholder(raw) ? UNAVAILABLE : convert(raw, path);
  };
}

const anyNumber = () =>
  z.custom<number>((value) => typeof value === 'number', { message: 'expected a number' });

/** `smallint` (Connect `int16`): a number. */
export function int16(): z.ZodNumber {
  return registered(z.number().int(), { wire: 'other', convert: logical.toInt });
}

/** `integer` (Connect `int32`): a number. */
export function int32(): z.ZodNumber {
  return registered(z.number().int(), { wire: 'other', convert: logical.toInt });
}

/** `bigint` (Connect `int64`): a `bigint`, exact over the whole range. */
export function int64(): z.ZodBigInt {
  return registered(z.bigint(), { wire: 'other', convert: logical.toBigInt });
}

/** `real` (Connect `float32`): a number; `NaN` and `±Infinity` included. */
export function float32(): z.ZodType<number> {
  return registered(anyNumber(), { wire: 'other', convert: logical.toFloat });
}

/** `double precision` (Connect `float64`): a number; `NaN` and `±Infinity` included. */
export function float64(): z.ZodType<number> {
  return registered(anyNumber(), { wire: 'other', convert: logical.toFloat });
}

/** `boolean`. */
export function boolean(): z.ZodBoolean {
  return registered(z.boolean(), { wire: 'other', convert: logical.toBoolean });
}

/** `text`, `varchar`, `char(n)` (blank-padded as PostgreSQL stores it), and other text. */
export function string(): z.ZodString {
  return registered(z.string(), { wire: 'text', convert: logical.toText });
}

/** Options of {@link bytes}. */
export interface BytesOptions {
  /**
   * How the connector renders bytea: `base64` (its default) or `hex`
   * (`binary.handling.mode=hex`).
   *
   * @defaultValue `'base64'`
   */
  readonly encoding?: 'base64' | 'hex';
}

/** `bytea`: the bytes (a `Buffer` at run time). */
export function bytes(options: BytesOptions = {}): z.ZodType<Uint8Array> {
  const encoding = options.encoding ?? 'base64';
  return registered(z.instanceof(Uint8Array), {
    wire: 'bytes',
    convert: (raw, path) => logical.toBytes(raw, path, encoding),
  });
}

/** Options of {@link decimal}: the scale for the default (precise) mode, or string mode. */
export type DecimalOptions =
  | {
      /** The column's scale, `4` for `numeric(12,4)`: JsonConverter does not write it. */
      readonly scale: number;
    }
  | {
      /** The connector runs with `decimal.handling.mode=string`: the value is decimal text. */
      readonly handling: 'string';
    };

/**
 * `numeric(p,s)` / `decimal(p,s)`: exact decimal text such as `'-12345678.9012'`, never a
 * lossy number. Chain `.transform()` for a decimal type of your choice, e.g.
 * `column.decimal({ scale: 2 }).transform((text) => new Big(text))`.
 *
 * @param options - `{ scale }` (precise mode, base64 on the wire) or `{ handling: 'string' }`.
 */
export function decimal(options: DecimalOptions): z.ZodString {
  const convert =
    'scale' in options
      ? (raw: JsonValue, path: Path) => logical.toDecimal(raw, path, options.scale)
      : logical.toDecimalText;
  return registered(z.string(), { wire: 'bytes', convert });
}

/**
 * `numeric` without a scale (Debezium's `VariableScaleDecimal`, `{ scale, value }` on the
 * wire): exact decimal text. `NaN` arrives as null in this mode: declare it `.nullable()`.
 */
export function variableScaleDecimal(): z.ZodString {
  return registered(z.string(), { wire: 'other', convert: logical.toVariableScaleDecimal });
}

/** `date` (`io.debezium.time.Date`): `'YYYY-MM-DD'`, free of any time zone. */
export function date(): z.ZodString {
  return registered(z.string(), { wire: 'other', convert: logical.toDate });
}

/** `time(4..6)` (`io.debezium.time.MicroTime`): `'HH:MM:SS.ffffff'`, trailing zeros trimmed. */
export function microTime(): z.ZodString {
  return registered(z.string(), {
    wire: 'other',
    convert: (raw, path) => logical.toTimeOfDay(raw, path, 'us'),
  });
}

/** `time(0..3)` (`io.debezium.time.Time`, milliseconds): `'HH:MM:SS.fff'`. */
export function time(): z.ZodString {
  return registered(z.string(), {
    wire: 'other',
    convert: (raw, path) => logical.toTimeOfDay(raw, path, 'ms'),
  });
}

/** `timestamp(4..6)` (`io.debezium.time.MicroTimestamp`): a {@link Timestamp}. */
export function microTimestamp(): z.ZodType<Timestamp> {
  return registered(z.instanceof(Timestamp), {
    wire: 'other',
    convert: (raw, path) => logical.toTimestamp(raw, path, 'us'),
  });
}

/** `timestamp(0..3)` (`io.debezium.time.Timestamp`, milliseconds): a {@link Timestamp}. */
export function timestamp(): z.ZodType<Timestamp> {
  return registered(z.instanceof(Timestamp), {
    wire: 'other',
    convert: (raw, path) => logical.toTimestamp(raw, path, 'ms'),
  });
}

/**
 * `timestamptz` (`io.debezium.time.ZonedTimestamp`): Debezium's ISO-8601 text in UTC,
 * `'2024-02-29T18:29:59.123456Z'`, or `'infinity'` / `'-infinity'`.
 */
export function zonedTimestamp(): z.ZodString {
  return registered(z.string(), { wire: 'text', convert: logical.toText });
}

/** `timetz` (`io.debezium.time.ZonedTime`): the time converted to UTC, `'04:45:30.123456Z'`. */
export function zonedTime(): z.ZodString {
  return registered(z.string(), { wire: 'text', convert: logical.toText });
}

/**
 * `interval` (`io.debezium.time.MicroDuration`): microseconds as a `bigint`, as Debezium
 * approximates them (a year is 365.25 days, a month 30.4375 days). With
 * `interval.handling.mode=string` declare {@link string} instead (ISO-8601 text).
 */
export function microDuration(): z.ZodBigInt {
  return registered(z.bigint(), { wire: 'other', convert: logical.toMicroDuration });
}

/** Any JSON value as the decoder parses it. */
const jsonValue = z.custom<JsonValue>((value) => value !== undefined);

/**
 * `json` / `jsonb` (`io.debezium.data.Json`): the parsed value, large integers as `bigint`.
 *
 * @param schema - Validates (and types) the parsed document.
 */
export function json<T = JsonValue>(schema?: z.ZodType<T>): z.ZodType<T> {
  const validated = (schema ?? jsonValue) as z.ZodType<T>;
  // A fresh pipe, so the caller's own schema is not registered as a Json column elsewhere.
  return registered(z.any().pipe(validated), { wire: 'text', convert: logical.toJson });
}

/** `uuid` (`io.debezium.data.Uuid`): canonical text. */
export function uuid(): z.ZodString {
  return registered(z.string(), { wire: 'text', convert: logical.toUuid });
}

/**
 * A PostgreSQL enum (`io.debezium.data.Enum`): one of the labels.
 *
 * @param labels - The enum's labels, in any order.
 */
export function enumOf<const L extends readonly [string, ...string[]]>(
  labels: L,
): z.ZodType<L[number]> {
  return registered(z.literal(labels), {
    wire: 'text',
    convert: (raw, path) => logical.toEnum(raw, path, labels),
  });
}

/**
 * A PostgreSQL array (`text[]`, `integer[]`, …): its elements converted by `item`; NULL
 * elements are kept, so declare `item` `.nullable()` where they may occur.
 *
 * @param item - The element's column schema.
 */
export function array<T>(item: z.ZodType<T>): z.ZodType<T[]> {
  // Resolved on first use rather than here, in case `item` is registered after this call.
  let itemConverter: ((raw: JsonValue | undefined, path: Path) => unknown) | undefined;
  return registered(z.array(item), {
    wire: 'array',
    convert: (raw, path) => {
      if (!Array.isArray(raw)) return invalid(path, 'an array', raw);
      const convertItem = (itemConverter ??= columnConverter(item));
      return raw.map((element, index) => convertItem(element, { parent: path, segment: index }));
    },
  });
}

/** The zod schema of {@link UNAVAILABLE}. */
export function unavailable(): z.ZodType<Unavailable> {
  return z.custom<Unavailable>(isUnavailable, {
    message: 'expected the TOAST unavailable-value marker',
  });
}

/**
 * Declares a column that an update may leave out (a TOASTed `text`, `bytea`, `json`, array …
 * under `REPLICA IDENTITY DEFAULT`): its value may then be {@link UNAVAILABLE}. Without it such
 * an event fails validation, naming the column.
 *
 * @param schema - The column's schema.
 */
export function toastable<T>(schema: z.ZodType<T>): z.ZodType<T | Unavailable> {
  const conversion = conversionOf(schema);
  const union = z.union([schema, unavailable()]);
  return conversion === undefined ? union : registered(union, conversion);
}

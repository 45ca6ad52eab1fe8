/**
 * Conversions from what Debezium's JsonConverter writes for a PostgreSQL column to the
 * JavaScript value the decoder hands out. Shared by the schema-driven path (`schemas.enable=true`,
 * see connectSchema.ts) and the column helpers of typed tables (`schemas.enable=false`), so both
 * give identical values.
 */
import { invalid, type Path } from './errors.js';
import { parseJson, isJsonObject, type JsonValue } from './json.js';
import { Timestamp, formatDate, formatTimeOfDay } from './values.js';

/** Debezium and Kafka Connect logical type names (the `name` of a Connect schema). @internal */
export const logicalNames = {
  decimal: 'org.apache.kafka.connect.data.Decimal',
  variableScaleDecimal: 'io.debezium.data.VariableScaleDecimal',
  date: 'io.debezium.time.Date',
  time: 'io.debezium.time.Time',
  microTime: 'io.debezium.time.MicroTime',
  nanoTime: 'io.debezium.time.NanoTime',
  timestamp: 'io.debezium.time.Timestamp',
  microTimestamp: 'io.debezium.time.MicroTimestamp',
  nanoTimestamp: 'io.debezium.time.NanoTimestamp',
  zonedTimestamp: 'io.debezium.time.ZonedTimestamp',
  zonedTime: 'io.debezium.time.ZonedTime',
  microDuration: 'io.debezium.time.MicroDuration',
  json: 'io.debezium.data.Json',
  uuid: 'io.debezium.data.Uuid',
  enum: 'io.debezium.data.Enum',
  // Kafka Connect's own date/time logical types (time.precision.mode=connect).
  connectDate: 'org.apache.kafka.connect.data.Date',
  connectTime: 'org.apache.kafka.connect.data.Time',
  connectTimestamp: 'org.apache.kafka.connect.data.Timestamp',
} as const;

/** An integer that fits an int64: a safe number or a bigint from the lossless parser. */
export function toBigInt(raw: unknown, path: Path): bigint {
  if (typeof raw === 'bigint') return raw;
  if (typeof raw === 'number' && Number.isInteger(raw)) return BigInt(raw);
  return invalid(path, 'an integer', raw);
}

/** An int8/16/32 (always a safe number). */
export function toInt(raw: unknown, path: Path): number {
  if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
  return invalid(path, 'a 32-bit integer', raw);
}

const specialFloats: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};

/** A float/double; JSON has no NaN or Infinity, so Debezium writes them as strings. */
export function toFloat(raw: unknown, path: Path): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string' && raw in specialFloats) return specialFloats[raw]!;
  // A double beyond 2^53 that happens to be integral arrives as bigint from the parser.
  if (typeof raw === 'bigint') return Number(raw);
  return invalid(path, 'a number or "NaN", "Infinity", "-Infinity"', raw);
}

export function toBoolean(raw: unknown, path: Path): boolean {
  if (typeof raw === 'boolean') return raw;
  return invalid(path, 'a boolean', raw);
}

export function toText(raw: unknown, path: Path): string {
  if (typeof raw === 'string') return raw;
  return invalid(path, 'a string', raw);
}

const base64Text = /^[A-Za-z0-9+/]*={0,2}$/;
const hexText = /^(?:[0-9a-fA-F]{2})*$/;

/** bytea: base64 (Debezium's default) or hex (`binary.handling.mode=hex`). */
export function toBytes(raw: unknown, path: Path, encoding: 'base64' | 'hex' = 'base64'): Buffer {
  if (typeof raw === 'string') {
    if (encoding === 'base64' && raw.length % 4 === 0 && base64Text.test(raw)) {
      return Buffer.from(raw, 'base64');
    }
    if (encoding === 'hex' && hexText.test(raw)) return Buffer.from(raw, 'hex');
  }
  return invalid(path, `${encoding} bytes`, raw);
}

/** The unscaled value of a Connect Decimal: big-endian two's complement bytes. */
function unscaled(bytes: Buffer): bigint {
  if (bytes.length === 0) return 0n;
  const value = BigInt(`0x${bytes.toString('hex')}`);
  // The sign bit of the first byte makes it negative: subtract 2^(8 × length).
  return (bytes[0]! & 0x80) === 0 ? value : value - (1n << BigInt(bytes.length * 8));
}

/** `unscaled × 10^-scale` as exact decimal text: `-12345678.9012`, `0.0001`, `12`. */
export function formatDecimal(value: bigint, scale: number): string {
  const negative = value < 0n;
  let digits = String(negative ? -value : value);
  if (scale <= 0) {
    digits = value === 0n ? '0' : digits + '0'.repeat(-scale);
  } else {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return negative ? `-${digits}` : digits;
}

/** `org.apache.kafka.connect.data.Decimal`: base64 unscaled bytes; the scale is out of band. */
export function toDecimal(raw: unknown, path: Path, scale: number): string {
  return formatDecimal(unscaled(toBytes(raw, path)), scale);
}

/**
 * `io.debezium.data.VariableScaleDecimal`: `{ scale, value }`. PostgreSQL's `NaN` arrives as
 * JSON null (precise mode), so it decodes as null.
 */
export function toVariableScaleDecimal(raw: unknown, path: Path): string {
  if (!isJsonObject(raw)) return invalid(path, 'an object { scale, value }', raw);
  const scale = toInt(raw['scale'], { parent: path, segment: 'scale' });
  return toDecimal(raw['value'], { parent: path, segment: 'value' }, scale);
}

const decimalText = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Decimal text (`decimal.handling.mode=string`). Debezium writes PostgreSQL's `NaN` as `NAN`;
 * it is given back as PostgreSQL spells it, `NaN`.
 */
export function toDecimalText(raw: unknown, path: Path): string {
  if (typeof raw === 'string') {
    if (decimalText.test(raw)) return raw;
    if (raw === 'NAN' || raw === 'NaN') return 'NaN';
    if (raw === 'Infinity' || raw === '-Infinity') return raw;
  }
  return invalid(path, 'decimal text', raw);
}

/** `io.debezium.time.Date` / Connect `Date`: days since 1970-01-01 → `YYYY-MM-DD`. */
export function toDate(raw: unknown, path: Path): string {
  const days = toInt(raw, path);
  try {
    return formatDate(days);
  } catch (error) {
    return invalid(path, 'days since 1970-01-01 within the Date range', raw, error);
  }
}

/** `Time` (ms), `MicroTime` (µs), `NanoTime` (ns) since midnight → `HH:MM:SS[.fraction]`. */
export function toTimeOfDay(raw: unknown, path: Path, unit: 'ms' | 'us' | 'ns'): string {
  const count = toBigInt(raw, path);
  if (count < 0n) return invalid(path, 'a non-negative time of day', raw);
  return formatTimeOfDay(count * nanosPer[unit]);
}

const nanosPer = { ms: 1_000_000n, us: 1000n, ns: 1n } as const;

/** `Timestamp` (ms), `MicroTimestamp` (µs), `NanoTimestamp` (ns) since the epoch. */
export function toTimestamp(raw: unknown, path: Path, unit: 'ms' | 'us' | 'ns'): Timestamp {
  return new Timestamp(toBigInt(raw, path) * nanosPer[unit]);
}

/** `MicroDuration`: microseconds (Debezium's approximation: 365.25-day years, 30.4375-day months). */
export function toMicroDuration(raw: unknown, path: Path): bigint {
  return toBigInt(raw, path);
}

/** `io.debezium.data.Json`: the text of a json/jsonb value, parsed (big integers kept). */
export function toJson(raw: unknown, path: Path): JsonValue {
  return parseJson(toText(raw, path), path);
}

const uuidText = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** `io.debezium.data.Uuid`: canonical text. */
export function toUuid(raw: unknown, path: Path): string {
  if (typeof raw === 'string' && uuidText.test(raw)) return raw;
  return invalid(path, 'a UUID', raw);
}

/** `io.debezium.data.Enum`: the label, checked against the allowed labels when they are known. */
export function toEnum(raw: unknown, path: Path, allowed?: readonly string[]): string {
  const label = toText(raw, path);
  if (allowed !== undefined && !allowed.includes(label)) {
    return invalid(path, `one of ${allowed.join(', ')}`, raw);
  }
  return label;
}

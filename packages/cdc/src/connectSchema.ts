/**
 * The schema-driven path: with `schemas.enable=true` every key and value carries its Kafka
 * Connect schema, which names the logical type of each column (and a Decimal's scale), so the
 * decoder converts without any declaration.
 */
import { invalid, type Path } from './errors.js';
import { isJsonObject, type JsonValue } from './json.js';
import * as logical from './logicalTypes.js';
import {
  UNAVAILABLE,
  isArrayPlaceholder,
  isBytesPlaceholder,
  isTextPlaceholder,
} from './markers.js';

/** A Kafka Connect schema as JsonConverter writes it next to the payload. @internal */
export interface ConnectSchema {
  readonly type: string;
  readonly optional?: boolean;
  readonly name?: string;
  readonly parameters?: Readonly<Record<string, string>>;
  readonly fields?: readonly ConnectField[];
  readonly items?: ConnectSchema;
  readonly keys?: ConnectSchema;
  readonly values?: ConnectSchema;
  readonly field?: string;
}

/** A field of a Connect `struct` schema. @internal */
export interface ConnectField extends ConnectSchema {
  readonly field: string;
}

/** Checks the parts of a schema the decoder relies on. @internal */
export function asConnectSchema(raw: unknown, path: Path): ConnectSchema {
  if (!isJsonObject(raw) || typeof raw['type'] !== 'string') {
    return invalid(path, 'a Connect schema { type, … }', raw);
  }
  if (raw['type'] === 'struct') {
    const fields = raw['fields'];
    if (!Array.isArray(fields))
      return invalid({ parent: path, segment: 'fields' }, 'an array', fields);
    fields.forEach((field, index) => {
      const at: Path = { parent: { parent: path, segment: 'fields' }, segment: index };
      asConnectSchema(field, at);
      if (typeof (field as Record<string, unknown>)['field'] !== 'string') {
        invalid(
          { parent: at, segment: 'field' },
          'a field name',
          (field as Record<string, unknown>)['field'],
        );
      }
    });
  }
  return raw as unknown as ConnectSchema;
}

/** The field of a struct schema named `name`, if any. @internal */
export function fieldOf(schema: ConnectSchema, name: string): ConnectField | undefined {
  return schema.fields?.find((field) => field.field === name);
}

/**
 * Converts a payload value by its Connect schema: logical types to their JavaScript values,
 * int64 to bigint, TOAST placeholders to {@link UNAVAILABLE}. @internal
 */
export function fromConnect(
  raw: JsonValue | undefined,
  schema: ConnectSchema,
  path: Path,
): unknown {
  if (raw === null || raw === undefined) {
    // Optional fields may be null; Debezium also writes null for values it cannot represent
    // (a numeric NaN in precise mode). A missing required field is malformed.
    if (raw === undefined && !schema.optional) return invalid(path, `a ${schema.type} value`, raw);
    return null;
  }
  const name = schema.name;
  if (name !== undefined) {
    const converted = fromLogical(raw, schema, name, path);
    if (converted !== notLogical) return converted;
  }
  switch (schema.type) {
    case 'int8':
    case 'int16':
    case 'int32':
      return logical.toInt(raw, path);
    case 'int64':
      return logical.toBigInt(raw, path);
    case 'float':
    case 'float32':
    case 'double':
    case 'float64':
      return logical.toFloat(raw, path);
    case 'boolean':
      return logical.toBoolean(raw, path);
    case 'string':
      return isTextPlaceholder(raw) ? UNAVAILABLE : logical.toText(raw, path);
    case 'bytes':
      return isBytesPlaceholder(raw) ? UNAVAILABLE : logical.toBytes(raw, path);
    case 'array': {
      if (isArrayPlaceholder(raw)) return UNAVAILABLE;
      if (!Array.isArray(raw)) return invalid(path, 'an array', raw);
      const items = schema.items;
      if (items === undefined) return invalid(path, 'an array schema with items', schema);
      return raw.map((item, index) => fromConnect(item, items, { parent: path, segment: index }));
    }
    case 'struct':
      return fromStruct(raw, schema, path);
    case 'map':
      return fromMap(raw, schema, path);
    default:
      return invalid(path, 'a known Connect schema type', schema.type);
  }
}

/** A struct payload: every field of the schema, converted. @internal */
export function fromStruct(
  raw: JsonValue,
  schema: ConnectSchema,
  path: Path,
): Record<string, unknown> {
  if (!isJsonObject(raw)) return invalid(path, 'an object', raw);
  const row: Record<string, unknown> = {};
  for (const field of schema.fields ?? []) {
    row[field.field] = fromConnect(raw[field.field], field, { parent: path, segment: field.field });
  }
  return row;
}

function fromMap(raw: JsonValue, schema: ConnectSchema, path: Path): unknown {
  const values = schema.values;
  if (values === undefined) return invalid(path, 'a map schema with values', schema);
  // JsonConverter writes string-keyed maps as objects (hstore with hstore.handling.mode=map).
  if (isJsonObject(raw)) {
    return Object.fromEntries(
      Object.entries(raw).map(([key, value]) => [
        key,
        fromConnect(value, values, { parent: path, segment: key }),
      ]),
    );
  }
  return invalid(path, 'an object (string-keyed map)', raw);
}

const notLogical = Symbol('not a logical type');

type LogicalConverter = (raw: JsonValue, schema: ConnectSchema, path: Path) => unknown;

const timeOfDay =
  (unit: 'ms' | 'us' | 'ns'): LogicalConverter =>
  (raw, _schema, path) =>
    logical.toTimeOfDay(raw, path, unit);
const timestamp =
  (unit: 'ms' | 'us' | 'ns'): LogicalConverter =>
  (raw, _schema, path) =>
    logical.toTimestamp(raw, path, unit);
const date: LogicalConverter = (raw, _schema, path) => logical.toDate(raw, path);

// A Map rather than a switch: every field of every record asks, and a string-keyed Map
// hashes the name once instead of comparing it with each 30–40 character logical name in turn.
// ZonedTimestamp and ZonedTime are absent on purpose: they stay Debezium's text (UTC, `Z`);
// so do unknown logical names, which fall back to their Connect type.
const logicalConverters: ReadonlyMap<string, LogicalConverter> = new Map<string, LogicalConverter>([
  [
    logical.logicalNames.decimal,
    (raw, schema, path) => {
      if (isBytesPlaceholder(raw)) return UNAVAILABLE;
      const scale = Number(schema.parameters?.['scale']);
      if (!Number.isInteger(scale))
        return invalid(path, 'a Decimal schema with parameters.scale', schema.parameters);
      return logical.toDecimal(raw, path, scale);
    },
  ],
  [
    logical.logicalNames.variableScaleDecimal,
    (raw, _schema, path) => logical.toVariableScaleDecimal(raw, path),
  ],
  [logical.logicalNames.date, date],
  [logical.logicalNames.connectDate, date],
  [logical.logicalNames.time, timeOfDay('ms')],
  [logical.logicalNames.connectTime, timeOfDay('ms')],
  [logical.logicalNames.microTime, timeOfDay('us')],
  [logical.logicalNames.nanoTime, timeOfDay('ns')],
  [logical.logicalNames.timestamp, timestamp('ms')],
  [logical.logicalNames.connectTimestamp, timestamp('ms')],
  [logical.logicalNames.microTimestamp, timestamp('us')],
  [logical.logicalNames.nanoTimestamp, timestamp('ns')],
  [logical.logicalNames.microDuration, (raw, _schema, path) => logical.toMicroDuration(raw, path)],
  [
    logical.logicalNames.json,
    (raw, _schema, path) => (isTextPlaceholder(raw) ? UNAVAILABLE : logical.toJson(raw, path)),
  ],
  [logical.logicalNames.uuid, (raw, _schema, path) => logical.toUuid(raw, path)],
  [
    logical.logicalNames.enum,
    (raw, schema, path) => {
      const allowed = schema.parameters?.['allowed'];
      return logical.toEnum(raw, path, allowed === undefined ? undefined : allowed.split(','));
    },
  ],
]);

function fromLogical(raw: JsonValue, schema: ConnectSchema, name: string, path: Path): unknown {
  const convert = logicalConverters.get(name);
  return convert === undefined ? notLogical : convert(raw, schema, path);
}

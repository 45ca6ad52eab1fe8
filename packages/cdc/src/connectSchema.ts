/**
 * The schema-driven path: with `schemas.enable=true` every key and value carries its Kafka
 * Connect schema, which names the logical type of each column (and a Decimal's scale), so the
 * decoder converts without any declaration.
 *
 * Each schema is compiled once into a converter (a closure per field, the logical type and the
 * Connect type resolved up front), kept per schema object; since the decoder reuses the schema
 * object of a schema text it has seen (see `parsePayload` in envelope.ts), the records of a topic
 * share one compiled conversion. A field's path is only built when a value fails to convert.
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

/** A struct payload: every field of the schema, converted. @internal */
export function fromStruct(
  raw: JsonValue,
  schema: ConnectSchema,
  path: Path,
): Record<string, unknown> {
  if (!isJsonObject(raw)) return invalid(path, 'an object', raw);
  return structConverterOf(schema)(raw, path);
}

/**
 * A value's conversion, compiled from its schema once: `(raw, parent, segment)` converts the
 * value found at `parent[segment]`. The path object of a field is only built when something
 * fails (or a logical conversion needs it), not for each field of each record.
 */
type Converter = (
  raw: JsonValue | undefined,
  parent: Path,
  segment: string | number,
  path?: Path,
) => unknown;

type StructConverter = (raw: { [key: string]: JsonValue }, path: Path) => Record<string, unknown>;

// Compiled once per schema object. The decoder keeps the schema of each distinct schema text
// (see `parsePayload` in envelope.ts), so in steady state every record of a topic reuses the
// same compiled conversion; a WeakMap lets schemas that fall out of that cache go.
const converters = new WeakMap<ConnectSchema, Converter>();
const structConverters = new WeakMap<ConnectSchema, StructConverter>();

function converterOf(schema: ConnectSchema): Converter {
  let converter = converters.get(schema);
  if (converter === undefined) {
    converter = compile(schema);
    converters.set(schema, converter);
  }
  return converter;
}

/** The conversion of a struct value already known to be an object. @internal */
export function structConverterOf(schema: ConnectSchema): StructConverter {
  let converter = structConverters.get(schema);
  if (converter === undefined) {
    converter = compileStruct(schema);
    structConverters.set(schema, converter);
  }
  return converter;
}

const at = (parent: Path, segment: string | number, path: Path | undefined): Path =>
  path ?? { parent, segment };

function compile(schema: ConnectSchema): Converter {
  const convert = compileValue(schema);
  const optional = schema.optional === true;
  const type = schema.type;
  return (raw, parent, segment, path) => {
    if (raw === null || raw === undefined) {
      // Optional fields may be null; Debezium also writes null for values it cannot represent
      // (a numeric NaN in precise mode). A missing required field is malformed.
      if (raw === undefined && !optional)
        return invalid(at(parent, segment, path), `a ${type} value`, raw);
      return null;
    }
    return convert(raw, parent, segment, path);
  };
}

type ValueConverter = (
  raw: JsonValue,
  parent: Path,
  segment: string | number,
  path: Path | undefined,
) => unknown;

function compileValue(schema: ConnectSchema): ValueConverter {
  const name = schema.name;
  const logicalConverter = name === undefined ? undefined : logicalConverters.get(name);
  if (logicalConverter !== undefined) {
    return (raw, parent, segment, path) => logicalConverter(raw, schema, at(parent, segment, path));
  }
  switch (schema.type) {
    case 'int8':
    case 'int16':
    case 'int32':
      return (raw, parent, segment, path) =>
        typeof raw === 'number' && Number.isInteger(raw)
          ? raw
          : logical.toInt(raw, at(parent, segment, path));
    case 'int64':
      return (raw, parent, segment, path) =>
        typeof raw === 'bigint' ? raw : logical.toBigInt(raw, at(parent, segment, path));
    case 'float':
    case 'float32':
    case 'double':
    case 'float64':
      return (raw, parent, segment, path) =>
        typeof raw === 'number' ? raw : logical.toFloat(raw, at(parent, segment, path));
    case 'boolean':
      return (raw, parent, segment, path) =>
        typeof raw === 'boolean' ? raw : logical.toBoolean(raw, at(parent, segment, path));
    case 'string':
      return (raw, parent, segment, path) =>
        typeof raw === 'string'
          ? isTextPlaceholder(raw)
            ? UNAVAILABLE
            : raw
          : logical.toText(raw, at(parent, segment, path));
    case 'bytes':
      return (raw, parent, segment, path) =>
        isBytesPlaceholder(raw) ? UNAVAILABLE : logical.toBytes(raw, at(parent, segment, path));
    case 'array': {
      const items = schema.items;
      const item = items === undefined ? undefined : converterOf(items);
      return (raw, parent, segment, path) => {
        if (isArrayPlaceholder(raw)) return UNAVAILABLE;
        const here = at(parent, segment, path);
        if (!Array.isArray(raw)) return invalid(here, 'an array', raw);
        if (item === undefined) return invalid(here, 'an array schema with items', schema);
        return raw.map((element, index) => item(element, here, index));
      };
    }
    case 'struct': {
      const struct = structConverterOf(schema);
      return (raw, parent, segment, path) => {
        const here = at(parent, segment, path);
        return isJsonObject(raw) ? struct(raw, here) : invalid(here, 'an object', raw);
      };
    }
    case 'map':
      return (raw, parent, segment, path) => fromMap(raw, schema, at(parent, segment, path));
    default:
      return (_raw, parent, segment, path) =>
        invalid(at(parent, segment, path), 'a known Connect schema type', schema.type);
  }
}

function compileStruct(schema: ConnectSchema): StructConverter {
  const fields = (schema.fields ?? []).map((field) => ({
    name: field.field,
    convert: converterOf(field),
  }));
  // A column may be called `__proto__` (a quoted identifier): assigning it would set the row's
  // prototype instead of a property, so such a field is defined, like JSON.parse does.
  const plain = fields.every((field) => field.name !== '__proto__');
  return (raw, path) => {
    const row: Record<string, unknown> = {};
    for (const field of fields) {
      const value = field.convert(raw[field.name], path, field.name);
      if (plain || field.name !== '__proto__') row[field.name] = value;
      else
        Object.defineProperty(row, field.name, {
          value,
          writable: true,
          enumerable: true,
          configurable: true,
        });
    }
    return row;
  };
}

function fromMap(raw: JsonValue, schema: ConnectSchema, path: Path): unknown {
  const values = schema.values;
  if (values === undefined) return invalid(path, 'a map schema with values', schema);
  // JsonConverter writes string-keyed maps as objects (hstore with hstore.handling.mode=map).
  if (isJsonObject(raw)) {
    const convert = converterOf(values);
    return Object.fromEntries(
      Object.entries(raw).map(([key, value]) => [key, convert(value, path, key)]),
    );
  }
  return invalid(path, 'an object (string-keyed map)', raw);
}

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

import { z } from 'zod';
import { fromStruct, type ConnectSchema } from './connectSchema.js';
import { columnConverter } from './columns.js';
import { DebeziumDecodeError, child, describeValue, renderPath, type Path } from './errors.js';
import { isJsonObject, type JsonValue } from './json.js';

/** The columns of a table: column name → column schema (see the `column` helpers). */
export type Columns = Record<string, z.ZodType>;

/** The decoded row of a table with these columns. */
export type RowOf<TColumns extends Columns> = z.output<z.ZodObject<TColumns>>;

/**
 * The decoded key of a table: its key columns, or a partial row when none are declared.
 */
export type KeyOf<TColumns extends Columns, TKey extends string> = [TKey] extends [never]
  ? Partial<RowOf<TColumns>>
  : Pick<RowOf<TColumns>, TKey & keyof RowOf<TColumns>>;

/** Options of {@link defineTable}. */
export interface TableOptions<TColumns extends Columns, TKey extends keyof TColumns & string> {
  /**
   * The PostgreSQL schema, as in `source.schema`.
   *
   * @defaultValue `'public'`
   */
  readonly schema?: string;
  /** The table name, as in `source.table`. */
  readonly table: string;
  /** Every column the application reads; others in the event are dropped. */
  readonly columns: TColumns;
  /** The primary-key columns: they type the Kafka key. Without it the key is a partial row. */
  readonly key?: readonly TKey[];
}

/**
 * A table declared with {@link defineTable}: decode its events with
 * `decoder.decode(record, table)` to get typed, validated `before`/`after`.
 *
 * @typeParam Row - The decoded row.
 * @typeParam Key - The decoded Kafka key.
 */
export interface Table<Row, Key = Partial<Row>> {
  /** The PostgreSQL schema. */
  readonly schema: string;
  /** The table name. */
  readonly table: string;
  /** Validates (and types) a converted row. */
  readonly rowSchema: z.ZodType<Row>;
  /** Validates (and types) a converted key. */
  readonly keySchema: z.ZodType<Key>;
  /**
   * Converts and validates a row image: by its Connect schema when the record has one, else by
   * the declared columns. Throws {@link DebeziumDecodeError} naming the column.
   *
   * @internal
   */
  readonly decodeRow: (raw: JsonValue, path: Path, schema: ConnectSchema | undefined) => Row;
  /** Same as `decodeRow`, for the key. @internal */
  readonly decodeKey: (raw: JsonValue, path: Path, schema: ConnectSchema | undefined) => Key;
}

/**
 * Declares a table once, for typed change events. With `schemas.enable=false` the column
 * helpers convert what the connector wrote (a base64 `numeric`, a microsecond `timestamp`);
 * with `schemas.enable=true` the record's own schema converts it and the declaration types and
 * validates the result.
 *
 * @param options - Schema, table name, columns and key columns.
 * @returns The table, to pass to `decoder.decode(record, table)`.
 *
 * @example
 * ```ts
 * const parcels = defineTable({
 *   table: 'parcels',
 *   key: ['id'],
 *   columns: {
 *     id: column.int32(),
 *     label: column.string(),
 *     weight: column.decimal({ scale: 2 }).nullable(),
 *   },
 * });
 *
 * const event = decoder.decode(message, parcels);
 * if (event.kind === 'change' && event.op === 'c') {
 *   event.after.weight; // string | null, e.g. '1.50'
 * }
 * ```
 */
export function defineTable<
  const TColumns extends Columns,
  const TKey extends keyof TColumns & string = never,
>(options: TableOptions<TColumns, TKey>): Table<RowOf<TColumns>, KeyOf<TColumns, TKey>> {
  type Row = RowOf<TColumns>;
  type Key = KeyOf<TColumns, TKey>;
  const rowSchema = z.object(options.columns);
  const keyColumns: Columns =
    options.key === undefined
      ? options.columns
      : Object.fromEntries(options.key.map((name) => [name, options.columns[name]!]));
  const keySchema = options.key === undefined ? rowSchema.partial() : z.object(keyColumns);

  // Each column's conversion resolved once, here, not per record.
  type Converter = readonly [name: string, convert: ReturnType<typeof columnConverter>];
  const convertersOf = (columns: Columns): readonly Converter[] =>
    Object.entries(columns).map(([name, columnSchema]) => [name, columnConverter(columnSchema)]);
  const rowConverters = convertersOf(options.columns);
  const keyConverters = convertersOf(keyColumns);

  function convert(
    converters: readonly Converter[],
    raw: JsonValue,
    path: Path,
    schema: ConnectSchema | undefined,
  ) {
    if (schema !== undefined) return fromStruct(raw, schema, path);
    if (!isJsonObject(raw)) {
      throw new DebeziumDecodeError({
        code: 'CDC_INVALID_EVENT',
        path: renderPath(path),
        expected: `a row of ${options.table}`,
        found: describeValue(raw),
      });
    }
    const converted: Record<string, unknown> = {};
    for (let index = 0; index < converters.length; index++) {
      const [name, convertOne] = converters[index]!;
      const value = raw[name];
      // `in` only for the rare undefined: a column the event does not carry stays absent.
      if (value !== undefined || name in raw)
        converted[name] = convertOne(value, child(path, name));
    }
    return converted;
  }

  return {
    schema: options.schema ?? 'public',
    table: options.table,
    rowSchema: rowSchema,
    keySchema: keySchema as unknown as z.ZodType<Key>,
    decodeRow: (raw, path, schema) =>
      validate(rowSchema, convert(rowConverters, raw, path, schema), path) as Row,
    decodeKey: (raw, path, schema) =>
      validate(keySchema, convert(keyConverters, raw, path, schema), path) as Key,
  };
}

function validate(schema: z.ZodType, value: unknown, path: Path): unknown {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  let at = path;
  let found: unknown = value;
  for (const segment of issue.path) {
    const key = typeof segment === 'symbol' ? String(segment) : segment;
    at = child(at, key);
    found =
      isJsonObject(found) || Array.isArray(found)
        ? (found as Record<string | number, unknown>)[key]
        : undefined;
  }
  throw new DebeziumDecodeError({
    code: 'CDC_INVALID_EVENT',
    path: renderPath(at),
    expected: issue.message,
    found: describeValue(found),
    cause: result.error,
  });
}

/**
 * Typed tables generated from the database: reads `information_schema` (and `pg_catalog` for
 * what it leaves out: type modifiers of array elements, enum labels) and writes the
 * TypeScript of one {@link defineTable} per table.
 *
 * @module
 */
import { TrackOpsError, type Queryable } from '@trackops/core';

/** Options of {@link generateTables}. */
export interface GenerateTablesOptions {
  /**
   * The PostgreSQL schema whose tables are declared.
   *
   * @defaultValue `'public'`
   */
  readonly schema?: string;
  /** Only these tables (all of the schema's base tables when left out). */
  readonly tables?: readonly string[];
  /**
   * Declare every column whose value PostgreSQL may TOAST (text, bytea, json, arrays …)
   * {@link column.toastable}, for tables with `REPLICA IDENTITY DEFAULT` whose updates can
   * leave such a column out.
   *
   * @defaultValue `false`
   */
  readonly toastable?: boolean;
  /**
   * The module the generated code imports `column` and `defineTable` from.
   *
   * @defaultValue `'@trackops/cdc'`
   */
  readonly importFrom?: string;
}

/** A column as {@link generateTables} reads it from the catalog. */
export interface CatalogColumn {
  readonly name: string;
  /** `pg_type.typname` of the column's type, e.g. `int4`, `_text` (an array), `parcel_status`. */
  readonly type: string;
  /** `atttypmod`: precision and scale of `numeric`, precision of times; -1 when none. */
  readonly typmod: number;
  readonly nullable: boolean;
  /** The labels when the type (or an array's element type) is an enum. */
  readonly enumLabels?: readonly string[] | undefined;
}

/** Thrown when a requested table is not in the schema (code `CDC_CODEGEN_NO_TABLE`). */
export class CodegenError extends TrackOpsError<'CDC_CODEGEN_NO_TABLE'> {
  override name = 'CodegenError';

  /** @param message - Which tables are missing. */
  constructor(message: string) {
    super({ code: 'CDC_CODEGEN_NO_TABLE', message });
  }
}

/**
 * The column helper expression for one column, as Debezium's PostgreSQL connector writes it
 * with its default handling modes (`decimal.handling.mode=precise`,
 * `time.precision.mode=adaptive`, `binary.handling.mode=bytes`, `interval.handling.mode=numeric`)
 * and JsonConverter `schemas.enable=false`. A type the connector renders as text and this
 * does not know becomes `column.string()`, with the type in a comment.
 *
 * @param column - The column as read from the catalog.
 * @param toastable - Whether to wrap TOAST-able values in `column.toastable`.
 * @returns TypeScript source, e.g. `column.decimal({ scale: 4 }).nullable()`.
 */
export function columnExpression(column: CatalogColumn, toastable = false): string {
  const isArray = column.type.startsWith('_');
  const base = isArray ? column.type.slice(1) : column.type;
  const item = scalarExpression(base, column.typmod, column.enumLabels);
  let expression = isArray ? `column.array(${item.expression}.nullable())` : item.expression;
  if (toastable && (isArray || item.toastable)) expression = `column.toastable(${expression})`;
  if (column.nullable) expression += '.nullable()';
  return item.comment === undefined ? expression : `${expression} /* ${item.comment} */`;
}

interface Scalar {
  expression: string;
  toastable: boolean;
  comment?: string;
}

function scalarExpression(type: string, typmod: number, labels?: readonly string[]): Scalar {
  const plain = (expression: string): Scalar => ({ expression, toastable: false });
  const varlena = (expression: string): Scalar => ({ expression, toastable: true });
  // time(p) and timestamp(p): p ≤ 3 → milliseconds, otherwise (or unset, 6) microseconds.
  const precision = typmod >= 0 ? typmod : 6;
  switch (type) {
    case 'int2':
      return plain('column.int16()');
    case 'int4':
      return plain('column.int32()');
    case 'int8':
      return plain('column.int64()');
    case 'float4':
      return plain('column.float32()');
    case 'float8':
      return plain('column.float64()');
    case 'bool':
      return plain('column.boolean()');
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'name':
    case 'citext':
    case 'char':
      return varlena('column.string()');
    case 'bytea':
      return varlena('column.bytes()');
    case 'numeric':
      // typmod = ((precision << 16) | scale) + 4; without it the scale varies per value.
      return typmod >= 4
        ? varlena(`column.decimal({ scale: ${(typmod - 4) & 0xffff} })`)
        : plain('column.variableScaleDecimal()');
    case 'date':
      return plain('column.date()');
    case 'time':
      return plain(precision <= 3 ? 'column.time()' : 'column.microTime()');
    case 'timestamp':
      return plain(precision <= 3 ? 'column.timestamp()' : 'column.microTimestamp()');
    case 'timetz':
      return plain('column.zonedTime()');
    case 'timestamptz':
      return plain('column.zonedTimestamp()');
    case 'interval':
      return plain('column.microDuration()');
    case 'uuid':
      return plain('column.uuid()');
    case 'json':
    case 'jsonb':
      return varlena('column.json()');
    default:
      if (labels !== undefined)
        return plain(`column.enumOf([${labels.map((label) => quote(label)).join(', ')}])`);
      return { ...varlena('column.string()'), comment: `${type}: rendered as text` };
  }
}

/** A table as read from the catalog. */
export interface CatalogTable {
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly CatalogColumn[];
  readonly key: readonly string[];
}

/**
 * Reads the tables of a schema from the catalog.
 *
 * @param db - Any `pg`-like pool or client.
 * @param options - Which schema and tables.
 * @throws {@link CodegenError} when a table asked for does not exist.
 */
export async function readTables(
  db: Queryable,
  options: Pick<GenerateTablesOptions, 'schema' | 'tables'> = {},
): Promise<CatalogTable[]> {
  const schema = options.schema ?? 'public';
  const { rows: tableRows } = await db.query<{ table_name: string }>(
    `select table_name from information_schema.tables
      where table_schema = $1 and table_type = 'BASE TABLE'
        and ($2::text[] is null or table_name = any($2))
      order by table_name`,
    [schema, options.tables === undefined ? null : [...options.tables]],
  );
  const found = tableRows.map((row) => row.table_name);
  const missing = (options.tables ?? []).filter((name) => !found.includes(name));
  if (missing.length > 0)
    throw new CodegenError(`no table ${missing.map((name) => `${schema}.${name}`).join(', ')}`);

  const { rows } = await db.query<{
    table_name: string;
    column_name: string;
    is_nullable: string;
    typname: string;
    typmod: number;
    labels: string[] | null;
  }>(
    `select c.table_name, c.column_name, c.is_nullable, t.typname, a.atttypmod as typmod,
            (select array_agg(e.enumlabel order by e.enumsortorder) from pg_enum e
              where e.enumtypid = case when t.typelem <> 0 then t.typelem else t.oid end)::text[] as labels
       from information_schema.columns c
       join pg_namespace n on n.nspname = c.table_schema
       join pg_class k on k.relnamespace = n.oid and k.relname = c.table_name
       join pg_attribute a on a.attrelid = k.oid and a.attname = c.column_name
       join pg_type bt on bt.oid = a.atttypid
       join pg_type t on t.oid = case when bt.typtype = 'd' then bt.typbasetype else bt.oid end
      where c.table_schema = $1 and c.table_name = any($2)
      order by c.table_name, c.ordinal_position`,
    [schema, found],
  );
  const { rows: keyRows } = await db.query<{ table_name: string; column_name: string }>(
    `select u.table_name, u.column_name
       from information_schema.table_constraints t
       join information_schema.key_column_usage u
         on u.constraint_schema = t.constraint_schema and u.constraint_name = t.constraint_name
        and u.table_name = t.table_name
      where t.table_schema = $1 and t.table_name = any($2) and t.constraint_type = 'PRIMARY KEY'
      order by u.table_name, u.ordinal_position`,
    [schema, found],
  );
  return found.map((table) => ({
    schema,
    table,
    columns: rows
      .filter((row) => row.table_name === table)
      .map((row) => ({
        name: row.column_name,
        type: row.typname,
        typmod: row.typmod,
        nullable: row.is_nullable === 'YES',
        enumLabels: row.labels ?? undefined,
      })),
    key: keyRows.filter((row) => row.table_name === table).map((row) => row.column_name),
  }));
}

/**
 * Generates the TypeScript declaration of a schema's tables: one exported
 * `defineTable(...)` per table (named after it in camelCase), with a column helper per column
 * mapped from its PostgreSQL type (see {@link columnExpression}), `.nullable()` where the
 * column allows NULL, and the primary key as `key`.
 *
 * @param db - Any `pg`-like pool or client; only reads.
 * @param options - See {@link GenerateTablesOptions}.
 * @returns The source of a TypeScript module.
 * @throws {@link CodegenError} when a table asked for does not exist.
 *
 * @example
 * ```ts
 * const source = await generateTables(pool, { schema: 'public', tables: ['parcels'] });
 * await writeFile('src/tables.ts', source);
 * ```
 */
export async function generateTables(
  db: Queryable,
  options: GenerateTablesOptions = {},
): Promise<string> {
  return renderTables(await readTables(db, options), options);
}

/**
 * Renders tables read by {@link readTables} as TypeScript.
 *
 * @param tables - The tables.
 * @param options - `toastable` and `importFrom`.
 */
export function renderTables(
  tables: readonly CatalogTable[],
  options: Pick<GenerateTablesOptions, 'toastable' | 'importFrom'> = {},
): string {
  const lines = [
    '// Generated by trackops-cdc-codegen from information_schema; edit the database, then',
    '// regenerate. Assumes the connector defaults (decimal.handling.mode=precise,',
    '// time.precision.mode=adaptive, binary.handling.mode=bytes, interval.handling.mode=numeric).',
    `import { column, defineTable } from ${quote(options.importFrom ?? '@trackops/cdc')};`,
  ];
  const names = new Set<string>();
  for (const table of tables) {
    let name = constName(table.table);
    while (names.has(name)) name += '_';
    names.add(name);
    lines.push('', `export const ${name} = defineTable({`);
    lines.push(`  schema: ${quote(table.schema)},`, `  table: ${quote(table.table)},`);
    if (table.key.length > 0) lines.push(`  key: [${table.key.map((k) => quote(k)).join(', ')}],`);
    lines.push('  columns: {');
    for (const column of table.columns)
      lines.push(
        `    ${propertyName(column.name)}: ${columnExpression(column, options.toastable)},`,
      );
    lines.push('  },', '});');
  }
  return `${lines.join('\n')}\n`;
}

function quote(text: string): string {
  return `'${text.replace(/[\\'\n\r\u2028\u2029]/g, (char) => (char === '\\' || char === "'" ? `\\${char}` : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`))}'`;
}

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function propertyName(name: string): string {
  return identifier.test(name) ? name : quote(name);
}

const reserved = new Set(['default', 'delete', 'new', 'class', 'function', 'import', 'export']);

function constName(table: string): string {
  const camel = table
    .replace(/[^A-Za-z0-9]+(.)?/g, (_, next?: string) => (next ?? '').toUpperCase())
    .replace(/^[^A-Za-z_$]/, (first) => `_${first}`);
  const name = camel === '' ? '_table' : camel;
  return reserved.has(name) ? `${name}Table` : name;
}

/**
 * The fixtures' wide_types table, declared once for the tests and the decode benchmark, with
 * Debezium's precise modes (the connector's defaults).
 */
import { column, defineTable } from '@trackops/cdc';

/** The columns of wide_types (see test/fixtures/README.md), precise modes. */
export const wideTypesColumns = {
  id: column.int32(),
  c_smallint: column.int16().nullable(),
  c_integer: column.int32().nullable(),
  c_bigint: column.int64().nullable(),
  c_numeric_12_4: column.decimal({ scale: 4 }).nullable(),
  c_numeric: column.variableScaleDecimal().nullable(),
  c_real: column.float32().nullable(),
  c_double: column.float64().nullable(),
  c_boolean: column.boolean().nullable(),
  c_text: column.string().nullable(),
  c_varchar_20: column.string().nullable(),
  c_char_5: column.string().nullable(),
  c_bytea: column.bytes().nullable(),
  c_uuid: column.uuid().nullable(),
  c_json: column.json().nullable(),
  c_jsonb: column.json().nullable(),
  c_date: column.date().nullable(),
  c_time: column.microTime().nullable(),
  c_timetz: column.zonedTime().nullable(),
  c_timestamp: column.microTimestamp().nullable(),
  c_timestamptz: column.zonedTimestamp().nullable(),
  c_interval: column.microDuration().nullable(),
  c_text_array: column.array(column.string().nullable()).nullable(),
  c_integer_array: column.array(column.int32().nullable()).nullable(),
  c_enum: column.enumOf(['created', 'in_transit', 'delivered']).nullable(),
  c_toast: column.toastable(column.string()).nullable(),
};

/** wide_types as a typed table. */
export const wideTypesTable = defineTable({
  table: 'wide_types',
  key: ['id'],
  columns: wideTypesColumns,
});

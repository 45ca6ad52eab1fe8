/** The `source` and `transaction` blocks of a change event. */
import { child, invalid, type Path } from './errors.js';
import { isJsonObject, type JsonValue } from './json.js';
import type { SnapshotMarker, SourceInfo, TransactionBlock } from './events.js';

const snapshotMarkers: ReadonlySet<string> = new Set<SnapshotMarker>([
  'true',
  'first',
  'first_in_data_collection',
  'last_in_data_collection',
  'last',
  'false',
  'incremental',
]);

type JsonObject = { [key: string]: JsonValue };

/** @internal */
export function objectAt(raw: JsonValue | undefined, path: Path, what: string): JsonObject {
  return isJsonObject(raw) ? raw : invalid(path, what, raw);
}

/** @internal */
export function stringAt(object: JsonObject, name: string, path: Path): string {
  const value = object[name];
  return typeof value === 'string' ? value : invalid(child(path, name), 'a string', value);
}

/** A safe integer (ts_ms, counts, txId). @internal */
export function numberAt(object: JsonObject, name: string, path: Path): number {
  const value = object[name];
  return typeof value === 'number' && Number.isInteger(value)
    ? value
    : invalid(child(path, name), 'an integer', value);
}

/** @internal */
export function optionalNumberAt(object: JsonObject, name: string, path: Path): number | undefined {
  return object[name] === undefined || object[name] === null
    ? undefined
    : numberAt(object, name, path);
}

/** An int64 that may exceed 2^53 (ts_ns, lsn). @internal */
export function optionalBigIntAt(object: JsonObject, name: string, path: Path): bigint | undefined {
  const value = object[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return invalid(child(path, name), 'an integer', value);
}

function nullableNumberAt(object: JsonObject, name: string, path: Path): number | null {
  return object[name] === null || object[name] === undefined ? null : numberAt(object, name, path);
}

const lsnPair = /^\[(?:null|"(\d+)"),(?:null|"(\d+)")\]$/;

function sequenceOf(raw: JsonValue | undefined, path: Path): readonly (string | null)[] | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw !== 'string') return invalid(path, 'JSON text of an array of LSN strings', raw);
  // Debezium always writes two entries, each null or a decimal LSN: read those without a
  // JSON.parse (it showed in the decode profile); anything else takes the general way.
  const pair = lsnPair.exec(raw);
  if (pair !== null) return [pair[1] ?? null, pair[2] ?? null];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    return invalid(path, 'JSON text of an array of LSN strings', raw, error);
  }
  if (
    !Array.isArray(parsed) ||
    !parsed.every((item) => item === null || typeof item === 'string')
  ) {
    return invalid(path, 'JSON text of an array of LSN strings', raw);
  }
  return parsed as (string | null)[];
}

/** Decodes the `source` block of a PostgreSQL event. @internal */
export function decodeSource(raw: JsonValue | undefined, path: Path): SourceInfo {
  const source = objectAt(raw, path, 'the source block (an object)');
  const snapshot = source['snapshot'] ?? 'false';
  if (typeof snapshot !== 'string' || !snapshotMarkers.has(snapshot)) {
    invalid(child(path, 'snapshot'), `one of ${[...snapshotMarkers].join(', ')}`, snapshot);
  }
  return {
    version: stringAt(source, 'version', path),
    connector: stringAt(source, 'connector', path),
    name: stringAt(source, 'name', path),
    tsMs: numberAt(source, 'ts_ms', path),
    tsUs: optionalNumberAt(source, 'ts_us', path),
    tsNs: optionalBigIntAt(source, 'ts_ns', path),
    snapshot: snapshot as SnapshotMarker,
    db: stringAt(source, 'db', path),
    schema: stringAt(source, 'schema', path),
    table: stringAt(source, 'table', path),
    sequence: sequenceOf(source['sequence'], child(path, 'sequence')),
    txId: nullableNumberAt(source, 'txId', path),
    lsn: optionalBigIntAt(source, 'lsn', path) ?? null,
    xmin: nullableNumberAt(source, 'xmin', path),
  };
}

/** The txId in Debezium's `"<txId>:<lsn>"` transaction id. @internal */
export function txIdOf(id: string, path: Path): number {
  const match = /^(\d+):/.exec(id);
  return match === null ? invalid(path, 'a transaction id "<txId>:<lsn>"', id) : Number(match[1]);
}

/** Decodes the `transaction` block (null without transaction metadata). @internal */
export function decodeTransactionBlock(
  raw: JsonValue | undefined,
  path: Path,
): TransactionBlock | null {
  if (raw === null || raw === undefined) return null;
  const block = objectAt(raw, path, 'the transaction block (an object or null)');
  const id = stringAt(block, 'id', path);
  return {
    id,
    txId: txIdOf(id, child(path, 'id')),
    totalOrder: numberAt(block, 'total_order', path),
    dataCollectionOrder: numberAt(block, 'data_collection_order', path),
  };
}

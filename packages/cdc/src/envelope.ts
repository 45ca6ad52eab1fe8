/**
 * The Debezium envelope (`before`, `after`, `source`, `op`, `transaction`, `ts_*`) and the
 * logical decoding message, once the decoder knows a value is one.
 */
import { asConnectSchema, fieldOf, fromStruct, type ConnectSchema } from './connectSchema.js';
import { child, invalid, type Path } from './errors.js';
import type { ChangeEvent, MessageEvent, RecordHeaders, UntypedRow } from './events.js';
import { isJsonObject, parseJson, type JsonValue } from './json.js';
import { toBytes } from './logicalTypes.js';
import { UNAVAILABLE, isArrayPlaceholder, isTextPlaceholder } from './markers.js';
import {
  decodeSource,
  decodeTransactionBlock,
  numberAt,
  objectAt,
  optionalBigIntAt,
  optionalNumberAt,
} from './source.js';

/** Turns row images and keys into values: a declared table, or the generic conversion. @internal */
export interface RowCodec<Row, Key> {
  readonly row: (raw: JsonValue, path: Path, schema: ConnectSchema | undefined) => Row;
  readonly key: (raw: JsonValue, path: Path, schema: ConnectSchema | undefined) => Key;
}

/**
 * Without a declaration or a schema only the TOAST placeholder can be recognised; everything
 * else stays as parsed (integers beyond 2^53 as bigint, base64 and epoch counts as they are).
 */
function generic(raw: JsonValue, path: Path, schema: ConnectSchema | undefined): UntypedRow {
  if (schema !== undefined) return fromStruct(raw, schema, path);
  if (!isJsonObject(raw)) return invalid(path, 'a row (an object)', raw);
  // The parsed object is fresh and ours: only placeholders change, so change them in place
  // instead of copying every column.
  for (const name in raw) {
    const value = raw[name];
    if (isTextPlaceholder(value) || isArrayPlaceholder(value)) {
      // A column named `__proto__` is an own property of the parsed object: keep it one.
      Object.defineProperty(raw, name, {
        value: UNAVAILABLE,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    }
  }
  return raw;
}

/** The codec for records decoded without a table. @internal */
export const untyped: RowCodec<UntypedRow, UntypedRow> = { row: generic, key: generic };

/** A parsed key or value: its payload, and its Connect schema with `schemas.enable=true`. @internal */
export interface Payload {
  readonly payload: JsonValue;
  readonly schema: ConnectSchema | undefined;
  /** The path of the payload: `value.payload` with a schema, else `value`. */
  readonly path: Path;
}

/**
 * Recognises JsonConverter's `{"schema": …, "payload": …}` (`schemas.enable=true`). A row with
 * exactly the columns `schema` and `payload` would look the same; Debezium's schema always has
 * a string `type`, which such a row is unlikely to. @internal
 */
export function unwrapSchema(parsed: JsonValue, path: Path): Payload {
  if (isJsonObject(parsed) && 'schema' in parsed && 'payload' in parsed) {
    const keys = Object.keys(parsed);
    const schema = parsed['schema'];
    if (keys.length === 2 && isJsonObject(schema) && typeof schema['type'] === 'string') {
      return {
        payload: parsed['payload']!,
        schema: asConnectSchema(schema, child(path, 'schema')),
        path: child(path, 'payload'),
      };
    }
  }
  return { payload: parsed, schema: undefined, path };
}

/**
 * Parses a key or value text into its payload and schema, as `unwrapSchema(parseJson(text))`
 * does, faster for `schemas.enable=true`: JsonConverter writes `{"schema":S,"payload":P}`, and
 * every record of a topic repeats the same schema text S (2–12 KB, most of the record). Only P
 * is parsed when S is a schema text already parsed and checked:
 *
 * - first the few schema texts last seen for the same topic and part (`hint`): the text holds
 *   one at offset 10, followed by `,"payload":` — one string comparison, no search and no hash;
 * - else the text is split at its first `},"payload":` and S looked up among the texts seen
 *   (by hash), or parsed, checked and added.
 *
 * Sound wherever it splits: if S parses (it equals a text that parsed) and P parses, the whole
 * text is exactly `{"schema":S,"payload":P}` — the same two members, whatever S and P hold (a
 * split inside S would leave it unbalanced, and it would not parse). Anything else — another
 * layout, whitespace, a schema that does not parse or check, a payload that does not parse —
 * goes the general way, which gives the same result or the same error as before.
 *
 * The cache holds the {@link schemaCacheLimit} most recently added distinct schema texts (the
 * oldest goes first); texts are compared in full, never by a hash alone.
 *
 * @internal
 */
export function parsePayload(text: string, path: Path, hint?: SchemaHint): Payload {
  if (text.startsWith(schemaPrefix) && text.charCodeAt(text.length - 1) === CLOSE_BRACE) {
    let cached =
      hint === undefined ? undefined : recentSchemaOf(text, hints.get(hint.topic)?.[hint.part]);
    let split = cached === undefined ? -1 : schemaPrefix.length + cached.text.length - 1;
    if (cached === undefined) {
      split = text.indexOf(payloadSeparator, schemaPrefix.length);
      if (split !== -1) {
        const schemaText = text.slice(schemaPrefix.length, split + 1);
        cached = schemaCache.get(schemaText) ?? cacheSchema(schemaText, path);
        if (cached !== undefined && hint !== undefined) remember(hint, cached);
      }
    }
    if (cached !== undefined) {
      let payload: JsonValue | undefined;
      try {
        payload = parseJson(text.slice(split + payloadSeparator.length, -1), path);
      } catch {
        // Reported as before (with positions in the whole text) by the general way below.
      }
      if (payload !== undefined) {
        return { payload, schema: cached.schema, path: child(path, 'payload') };
      }
    }
  }
  return unwrapSchema(parseJson(text, path), path);
}

/** Which schema text {@link parsePayload} tries first: the last one of this topic's keys or values. @internal */
export interface SchemaHint {
  readonly topic: string;
  readonly part: 'key' | 'value';
}

interface CachedSchema {
  readonly text: string;
  readonly schema: ConnectSchema;
}

const schemaPrefix = '{"schema":';
const payloadSeparator = '},"payload":';
const CLOSE_BRACE = 0x7d;

/** How many distinct schema texts (and topics) {@link parsePayload} remembers. @internal */
export const schemaCacheLimit = 256;

const schemaCache = new Map<string, CachedSchema>();
/** Per topic, the schema texts of its keys and of its values last seen, most recent first. */
const hints = new Map<string, { key: CachedSchema[]; value: CachedSchema[] }>();

// A topic normally has one schema text per part; a few more cover a schema change and topics
// that carry several tables (a rerouted or merged topic).
const recentPerTopic = 4;

/** The recent schema text that `text` holds at offset 10, followed by `,"payload":`, if any. */
function recentSchemaOf(
  text: string,
  recent: readonly CachedSchema[] | undefined,
): CachedSchema | undefined {
  if (recent === undefined) return undefined;
  for (const candidate of recent) {
    const end = schemaPrefix.length + candidate.text.length;
    // The separator check is a dozen characters; only a text that passes it is compared in full.
    if (
      text.startsWith(payloadSeparator, end - 1) &&
      text.slice(schemaPrefix.length, end) === candidate.text
    ) {
      return candidate;
    }
  }
  return undefined;
}

function remember(hint: SchemaHint, cached: CachedSchema): void {
  let entry = hints.get(hint.topic);
  if (entry === undefined) {
    if (hints.size >= schemaCacheLimit) hints.clear();
    entry = { key: [], value: [] };
    hints.set(hint.topic, entry);
  }
  const recent = entry[hint.part];
  recent.unshift(cached);
  if (recent.length > recentPerTopic) recent.pop();
}

function cacheSchema(schemaText: string, path: Path): CachedSchema | undefined {
  let schema: ConnectSchema;
  try {
    const parsed = parseJson(schemaText, path);
    if (!isJsonObject(parsed) || typeof parsed['type'] !== 'string') return undefined;
    schema = asConnectSchema(parsed, child(path, 'schema'));
  } catch {
    return undefined;
  }
  if (schemaCache.size >= schemaCacheLimit) {
    schemaCache.delete(schemaCache.keys().next().value as string);
  }
  // A copy, so that the cache does not keep the whole record text alive (a slice points into it).
  const text = JSON.parse(JSON.stringify(schemaText)) as string;
  const cached = { text, schema };
  schemaCache.set(text, cached);
  return cached;
}

const changeOps = 'c, u, d, r, t, m';

/** What the envelope decoder needs besides the value. @internal */
export interface EnvelopeContext<Row, Key> {
  readonly topic: string | undefined;
  readonly key: Key | null;
  readonly headers: RecordHeaders;
  readonly oldKey: Key | undefined;
  readonly newKey: Key | undefined;
  readonly codec: RowCodec<Row, Key>;
}

/** Decodes a change event or a message from an envelope value. @internal */
export function decodeEnvelope<Row, Key>(
  value: Payload,
  context: EnvelopeContext<Row, Key>,
): ChangeEvent<Row, Key> | MessageEvent {
  const path = value.path;
  const envelope = objectAt(value.payload, path, 'a Debezium envelope (an object)');
  const rawOp = envelope['op'];
  if (typeof rawOp !== 'string')
    return invalid(child(path, 'op'), `an op, one of ${changeOps}`, rawOp);
  const op = rawOp;
  if (op === 'm') return decodeMessage(envelope, value.schema, path, context);
  const source = decodeSource(envelope['source'], child(path, 'source'));
  const transaction = decodeTransactionBlock(envelope['transaction'], child(path, 'transaction'));
  const tsMs = numberAt(envelope, 'ts_ms', path);
  const tsUs = optionalNumberAt(envelope, 'ts_us', path);
  const tsNs = optionalBigIntAt(envelope, 'ts_ns', path);
  // Each op builds its event in one literal, every field in the same order: no spread of a
  // shared base and no closures per record (both showed in the decode profile), and one
  // object shape per op for V8. The checks run in the order they always have, so a malformed
  // envelope reports the same first problem.
  switch (op) {
    case 'r': {
      const before = none(envelope, 'before', path, op);
      const after = image(envelope, 'after', true, value, context, op)!;
      return {
        kind: 'change',
        topic: context.topic,
        key: context.key,
        source,
        transaction,
        tsMs,
        tsUs,
        tsNs,
        headers: context.headers,
        op,
        before,
        after,
      };
    }
    case 'c': {
      // Under REPLICA IDENTITY FULL Debezium still sends no before for an insert.
      const before = none(envelope, 'before', path, op);
      const after = image(envelope, 'after', true, value, context, op)!;
      return {
        kind: 'change',
        topic: context.topic,
        key: context.key,
        source,
        transaction,
        tsMs,
        tsUs,
        tsNs,
        headers: context.headers,
        op,
        before,
        after,
        oldKey: context.oldKey,
      };
    }
    case 'u': {
      const before = image(envelope, 'before', false, value, context, op);
      const after = image(envelope, 'after', true, value, context, op)!;
      return {
        kind: 'change',
        topic: context.topic,
        key: context.key,
        source,
        transaction,
        tsMs,
        tsUs,
        tsNs,
        headers: context.headers,
        op,
        before,
        after,
      };
    }
    case 'd': {
      const before = image(envelope, 'before', true, value, context, op)!;
      const after = none(envelope, 'after', path, op);
      return {
        kind: 'change',
        topic: context.topic,
        key: context.key,
        source,
        transaction,
        tsMs,
        tsUs,
        tsNs,
        headers: context.headers,
        op,
        before,
        after,
        newKey: context.newKey,
      };
    }
    case 't': {
      const before = none(envelope, 'before', path, op);
      const after = none(envelope, 'after', path, op);
      return {
        kind: 'change',
        topic: context.topic,
        key: context.key,
        source,
        transaction,
        tsMs,
        tsUs,
        tsNs,
        headers: context.headers,
        op,
        before,
        after,
      };
    }
    default:
      return invalid(child(path, 'op'), `an op, one of ${changeOps}`, op);
  }
}

/** A row image the op requires (or allows): converted by the codec, by its schema if any. */
function image<Row, Key>(
  envelope: { [key: string]: JsonValue },
  name: 'before' | 'after',
  required: boolean,
  value: Payload,
  context: EnvelopeContext<Row, Key>,
  op: string,
): Row | null {
  const raw = envelope[name];
  const at = child(value.path, name);
  if (raw === null || raw === undefined) {
    return required ? invalid(at, `the row ${name} the change (op ${op})`, raw) : null;
  }
  const schema = value.schema === undefined ? undefined : fieldOf(value.schema, name);
  return context.codec.row(raw, at, schema);
}

/** A row image the op does not have: null or absent. */
function none(
  envelope: { [key: string]: JsonValue },
  name: 'before' | 'after',
  path: Path,
  op: string,
): null {
  const raw = envelope[name];
  return raw === null || raw === undefined
    ? null
    : invalid(child(path, name), `null for op ${op}`, raw);
}

function decodeMessage<Row, Key>(
  envelope: { [key: string]: JsonValue },
  _schema: ConnectSchema | undefined,
  path: Path,
  context: EnvelopeContext<Row, Key>,
): MessageEvent {
  const source = decodeSource(envelope['source'], child(path, 'source'));
  const messagePath = child(path, 'message');
  const message = objectAt(envelope['message'], messagePath, 'the message block (an object)');
  const prefix = message['prefix'] ?? null;
  if (prefix !== null && typeof prefix !== 'string') {
    invalid(child(messagePath, 'prefix'), 'a string or null', prefix);
  }
  const content = message['content'];
  return {
    kind: 'message',
    op: 'm',
    topic: context.topic,
    prefix: prefix,
    // content is bytea: base64, or null for an empty message written without content.
    content:
      content === null || content === undefined
        ? new Uint8Array(0)
        : toBytes(content, child(messagePath, 'content')),
    transactional: source.txId !== null,
    source,
    transaction: decodeTransactionBlock(envelope['transaction'], child(path, 'transaction')),
    tsMs: numberAt(envelope, 'ts_ms', path),
    headers: context.headers,
  };
}

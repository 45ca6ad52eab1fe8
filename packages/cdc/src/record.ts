import { isUtf8 } from 'node:buffer';
import { DebeziumDecodeError, child, renderPath, type Path } from './errors.js';

/** A header value as kafkajs gives it (`IHeaders`), or as text. */
export type HeaderValue = string | Uint8Array | ReadonlyArray<string | Uint8Array> | undefined;

/**
 * The parts of a Kafka record the decoder reads. A kafkajs `KafkaMessage` fits as it is; add the
 * `topic` from `eachMessage`/`eachBatch` (`{ topic, ...message }`) to have it on the event.
 */
export interface KafkaRecordLike {
  /** The topic: recognises heartbeat topics and is copied onto the event. */
  readonly topic?: string | undefined;
  /** The key bytes or text; null when the record has no key. */
  readonly key: string | Uint8Array | null | undefined;
  /** The value bytes or text; null for a tombstone. */
  readonly value: string | Uint8Array | null | undefined;
  /** The headers, as kafkajs gives them. */
  readonly headers?: Readonly<Record<string, HeaderValue>> | undefined;
}

// Only used to word the error: `isUtf8` (simdutf) plus `Buffer#toString` is several times
// faster than a fatal TextDecoder on Node 20, which shows in the decode benchmark.
const utf8 = new TextDecoder('utf-8', { fatal: true });

const BYTE_ORDER_MARK = 0xfeff;

/** The UTF-8 text of a key, value or header; null stays null. @internal */
export function textOf(bytes: string | Uint8Array | null | undefined, path: Path): string | null {
  if (bytes === null || bytes === undefined) return null;
  if (typeof bytes === 'string') return bytes;
  if (isUtf8(bytes)) {
    const buffer = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // No arguments: Node's fast path straight to utf8Slice.
    const text = buffer.toString();
    // TextDecoder (which this replaces) drops a leading byte order mark; so do we.
    return text.charCodeAt(0) === BYTE_ORDER_MARK ? text.slice(1) : text;
  }
  try {
    return utf8.decode(bytes);
  } catch (error) {
    throw new DebeziumDecodeError({
      code: 'CDC_INVALID_JSON',
      path: renderPath(path),
      expected: 'UTF-8 text',
      found: `${bytes.length} bytes that are not UTF-8`,
      cause: error,
    });
  }
}

/** Headers as text; of a repeated header, the last value (as Kafka's `lastHeader`). @internal */
export function headersOf(headers: KafkaRecordLike['headers']): Record<string, string> {
  const text: Record<string, string> = {};
  if (headers === undefined) return text;
  for (const name in headers) {
    if (!Object.hasOwn(headers, name)) continue;
    const value = headers[name];
    const last = Array.isArray(value)
      ? (value as ReadonlyArray<string | Uint8Array>).at(-1)
      : value;
    const decoded = textOf(last as string | Uint8Array | undefined, child(headersPath, name));
    if (decoded !== null) text[name] = decoded;
  }
  return text;
}

const headersPath: Path = { parent: undefined, segment: 'headers' };

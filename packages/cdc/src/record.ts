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

// Only used to word the error (and for the rare text that holds U+FFFD, see below).
const utf8 = new TextDecoder('utf-8', { fatal: true });

const BYTE_ORDER_MARK = 0xfeff;
const REPLACEMENT_CHARACTER = '\uFFFD';

/**
 * The UTF-8 text of a key, value or header; null stays null. Invalid UTF-8 is an error, never
 * silently replaced.
 *
 * `Buffer#toString()` (no arguments: Node's fast path straight to `utf8Slice`) replaces every
 * invalid sequence with U+FFFD, so a text without U+FFFD came from valid UTF-8 and needs no
 * separate validation pass over the bytes; `includes` of a character beyond Latin-1 costs
 * nothing on a one-byte string. Only a text that does hold U+FFFD (a real one, or a
 * replacement) is checked with `isUtf8` (simdutf), and invalid bytes go to the fatal
 * `TextDecoder` for its error.
 *
 * @internal
 */
export function textOf(bytes: string | Uint8Array | null | undefined, path: Path): string | null {
  if (bytes === null || bytes === undefined) return null;
  if (typeof bytes === 'string') return bytes;
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buffer.toString();
  if (!text.includes(REPLACEMENT_CHARACTER) || isUtf8(bytes)) {
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

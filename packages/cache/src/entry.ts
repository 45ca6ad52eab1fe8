/**
 * How an entry is laid out in Redis. One string per cached key, so a hit is one `GET` — the
 * same command as a hand-written cache — followed by a slice:
 *
 * ```
 * offset 0   15 digits  freshUntil: ms since the epoch, zero-padded (stale-while-revalidate)
 * offset 15  1 byte     'v' a value, 'n' a negative entry (the loader found nothing)
 * offset 16  20 digits  version: the change position (PostgreSQL LSN) the entry is known to be
 *                       at least as new as, zero-padded so Lua compares versions as strings
 * offset 36  …          the serializer's bytes (empty for a negative entry)
 * ```
 *
 * Next to it, per key: the lease (`…:l:<key>`, the token of the one fill allowed to land) and
 * the tombstone (`…:t:<key>`, the newest version invalidated, kept `tombstoneTtlMs`).
 */

/** Width of the header before the serialized bytes. */
export const HEADER_BYTES = 36;
const FRESH_DIGITS = 15;
/** Digits of a version: 2^64 has 20. */
export const VERSION_DIGITS = 20;
/** The version of an entry filled from the loader before any change was seen. */
export const ZERO_VERSION = '0'.repeat(VERSION_DIGITS);
const KIND_VALUE = 0x76; // 'v'
const KIND_NEGATIVE = 0x6e; // 'n'

/** A decoded entry. */
export interface RawEntry {
  readonly freshUntil: number;
  readonly negative: boolean;
  readonly version: string;
  /** The serializer's bytes (a view on the reply, not a copy). */
  readonly data: Buffer;
}

/** A version for the header: a non-negative integer, zero-padded to 20 digits. */
export function encodeVersion(version: bigint | number | null | undefined): string {
  if (version === null || version === undefined) return ZERO_VERSION;
  const text = version.toString();
  if (!/^\d+$/.test(text) || text.length > VERSION_DIGITS)
    throw new RangeError(`a cache version must be an integer in [0, 2^64) (got ${text})`);
  return text.padStart(VERSION_DIGITS, '0');
}

/** The freshness part of the header. */
export function encodeFresh(freshUntil: number): string {
  return Math.max(0, Math.floor(freshUntil)).toString().padStart(FRESH_DIGITS, '0');
}

/** Decodes an entry; `undefined` when the bytes are not one (an unrelated key, say). */
export function decodeEntry(bytes: Buffer): RawEntry | undefined {
  if (bytes.length < HEADER_BYTES) return undefined;
  const kind = bytes[FRESH_DIGITS];
  if (kind !== KIND_VALUE && kind !== KIND_NEGATIVE) return undefined;
  let freshUntil = 0;
  for (let i = 0; i < FRESH_DIGITS; i++) freshUntil = freshUntil * 10 + (bytes[i]! - 48);
  return {
    freshUntil,
    negative: kind === KIND_NEGATIVE,
    version: bytes.toString('latin1', FRESH_DIGITS + 1, HEADER_BYTES),
    data: bytes.subarray(HEADER_BYTES),
  };
}

/** The three Redis keys of one cache key. */
export interface EntryKeys {
  readonly value: string;
  readonly lease: string;
  readonly tombstone: string;
}

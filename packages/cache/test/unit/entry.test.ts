import { describe, expect, it } from 'vitest';
import { decodeEntry, encodeFresh, encodeVersion, HEADER_BYTES } from '../../src/entry.js';

describe('the entry layout', () => {
  it('round-trips fresh-until, kind, version and data', () => {
    const bytes = Buffer.from(
      `${encodeFresh(1_764_000_000_123)}v${encodeVersion(123456789n)}{"a":1}`,
    );
    const entry = decodeEntry(bytes);
    expect(entry).toEqual({
      freshUntil: 1_764_000_000_123,
      negative: false,
      version: '00000000000123456789',
      data: Buffer.from('{"a":1}'),
    });
    expect(bytes.length).toBe(HEADER_BYTES + 7);
  });

  it('orders versions as strings the way it orders them as numbers, up to 2^64 − 1', () => {
    const versions = [0n, 9n, 10n, 2n ** 53n + 1n, 2n ** 64n - 1n].map(encodeVersion);
    expect([...versions].sort()).toEqual(versions);
    expect(() => encodeVersion(2n ** 64n * 10n)).toThrow(RangeError);
    expect(() => encodeVersion(-1)).toThrow(RangeError);
    expect(encodeVersion(null)).toBe('0'.repeat(20));
  });

  it('rejects bytes that are not an entry', () => {
    expect(decodeEntry(Buffer.from('plain value'))).toBeUndefined();
    expect(decodeEntry(Buffer.from(`${encodeFresh(1)}x${encodeVersion(1)}`))).toBeUndefined();
  });
});

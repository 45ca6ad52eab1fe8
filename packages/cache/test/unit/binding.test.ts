import { describe, expect, it } from 'vitest';
import { UNAVAILABLE, type SourceInfo } from '@trackops/cdc';
import { changeImages } from '../../src/binding.js';

interface Row {
  id: number;
  customer: number;
  note: unknown;
}

const source = { lsn: 500n, tsMs: 1 } as SourceInfo;
const base = {
  kind: 'change',
  topic: 't',
  key: { id: 1 },
  source,
  transaction: null,
  tsMs: 1,
  tsUs: undefined,
  tsNs: undefined,
  headers: {},
} as const;

describe('changeImages', () => {
  it('gives inserts their new image, updates both images, deletes only the old one', () => {
    const a: Row = { id: 1, customer: 7, note: 'x' };
    const b: Row = { id: 1, customer: 8, note: 'y' };
    expect(
      changeImages({
        ...base,
        op: 'c',
        before: null,
        after: a,
        oldKey: undefined,
      }),
    ).toEqual({
      images: [a],
      newImage: a,
      version: 500n,
    });
    expect(changeImages({ ...base, op: 'u', before: a, after: b })).toEqual({
      images: [a, b],
      newImage: b,
      version: 500n,
    });
    expect(changeImages({ ...base, op: 'u', before: null, after: b })).toMatchObject({
      images: [b],
    });
    expect(
      changeImages({
        ...base,
        op: 'd',
        before: a,
        after: null,
        newKey: undefined,
      }),
    ).toEqual({
      images: [a],
      newImage: undefined,
      version: 500n,
    });
    expect(changeImages({ ...base, op: 't', before: null, after: null })).toBe('truncate');
  });

  it('does not offer an image with an unchanged TOAST column for warming', () => {
    const partial: Row = { id: 1, customer: 7, note: UNAVAILABLE };
    expect(changeImages({ ...base, op: 'u', before: null, after: partial })).toEqual({
      images: [partial],
      newImage: undefined,
      version: 500n,
    });
  });
});

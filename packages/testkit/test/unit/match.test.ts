import { describe, expect, it } from 'vitest';
import { describeMismatch, describeWhere } from '../../src/assertions/match.js';

describe('describeMismatch', () => {
  it('matches objects by the fields given, arrays element by element, the rest by value', () => {
    expect(
      describeMismatch({ a: 1, b: { c: [1, 2], d: 'x' } }, { b: { c: [1, 2] } }),
    ).toBeUndefined();
    expect(describeMismatch(new Date(5), new Date(5))).toBeUndefined();
  });

  it('names the path of the first difference', () => {
    expect(describeMismatch({ b: { c: [1, 2] } }, { b: { c: [1, 3] } })).toBe(
      'b.c[1]: expected 3, got 2',
    );
    expect(describeMismatch({ b: { c: [1] } }, { b: { c: [1, 3] } })).toBe(
      'b.c: expected [ 1, 3 ], got [ 1 ]',
    );
    expect(describeMismatch({ a: null }, { a: { b: 1 } })).toBe('a: expected an object, got null');
    expect(describeMismatch('x', 'y')).toBe(`(value): expected 'y', got 'x'`);
  });

  it('compares integers across number and bigint', () => {
    expect(describeMismatch({ id: 42n }, { id: 42 })).toBeUndefined();
    expect(describeMismatch({ id: 42 }, { id: 42n })).toBeUndefined();
    expect(describeMismatch({ id: 42.5 }, { id: 42n })).toBe('id: expected 42n, got 42.5');
  });
});

describe('describeWhere', () => {
  it('runs a predicate, naming it when it says no or throws', () => {
    expect(describeWhere(3, (n) => n > 2, 'where')).toBeUndefined();
    expect(describeWhere(1, (n) => n > 2, 'where')).toBe('where: the predicate returned false');
    expect(
      describeWhere<unknown>(
        {},
        () => {
          throw new Error('boom');
        },
        'where',
      ),
    ).toBe('where: the predicate threw boom');
  });
});

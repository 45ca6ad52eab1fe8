import { describe, expect, it } from 'vitest';
import { TrackOpsError, isTrackOpsError } from '@trackops/core';

type TestCode = 'TEST_FAILED' | 'TEST_TIMED_OUT';

class TestError extends TrackOpsError<TestCode> {
  override name = 'TestError';
}

describe('TrackOpsError', () => {
  it('carries its code and message and is not retriable by default', () => {
    const error = new TrackOpsError({ code: 'SOMETHING_FAILED', message: 'it failed' });

    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('TrackOpsError');
    expect(error.code).toBe('SOMETHING_FAILED');
    expect(error.message).toBe('it failed');
    expect(error.retriable).toBe(false);
    expect('cause' in error).toBe(false);
    expect(error.stack).toContain('it failed');
  });

  it('keeps retriable and the cause as the standard Error.cause', () => {
    const cause = new Error('connection reset');
    const error = new TrackOpsError({
      code: 'PUBLISH_FAILED',
      message: 'publish failed',
      retriable: true,
      cause,
    });

    expect(error.retriable).toBe(true);
    expect(error.cause).toBe(cause);
  });

  it('keeps an explicitly given cause even when it is undefined', () => {
    const error = new TrackOpsError({ code: 'X', message: 'x', cause: undefined });

    expect('cause' in error).toBe(true);
  });

  it('lets subclasses narrow the code and set their name', () => {
    const error = new TestError({ code: 'TEST_TIMED_OUT', message: 'timed out' });

    expect(error).toBeInstanceOf(TrackOpsError);
    expect(error.name).toBe('TestError');
    expect(String(error)).toBe('TestError: timed out');
  });

  it('does not expose its brand as an enumerable property', () => {
    const error = new TrackOpsError({ code: 'X', message: 'x' });

    expect(Object.getOwnPropertySymbols(error)).toEqual([]);
  });
});

describe('isTrackOpsError', () => {
  it('recognises TrackOps errors and their subclasses', () => {
    expect(isTrackOpsError(new TrackOpsError({ code: 'X', message: 'x' }))).toBe(true);
    expect(isTrackOpsError(new TestError({ code: 'TEST_FAILED', message: 'x' }))).toBe(true);
  });

  it('rejects other values', () => {
    expect(isTrackOpsError(new Error('x'))).toBe(false);
    expect(isTrackOpsError({ code: 'X', message: 'x', retriable: false })).toBe(false);
    expect(isTrackOpsError(null)).toBe(false);
    expect(isTrackOpsError(undefined)).toBe(false);
    expect(isTrackOpsError('TrackOpsError')).toBe(false);
  });

  it('filters by code when one is given', () => {
    const error: unknown = new TestError({ code: 'TEST_FAILED', message: 'x' });

    expect(isTrackOpsError(error, 'TEST_FAILED')).toBe(true);
    expect(isTrackOpsError(error, 'TEST_TIMED_OUT')).toBe(false);
    if (isTrackOpsError<TestCode>(error, 'TEST_FAILED')) {
      const code: TestCode = error.code;
      expect(code).toBe('TEST_FAILED');
    }
  });

  it('recognises an error made by another copy of the package (dual ESM/CJS load)', () => {
    // What a second copy of the class looks like: a different class whose prototype carries the
    // same registered symbol.
    class OtherCopyOfTrackOpsError extends Error {
      readonly code = 'X';
      readonly retriable = false;
    }
    Object.defineProperty(
      OtherCopyOfTrackOpsError.prototype,
      Symbol.for('@trackops/core:TrackOpsError'),
      { value: true },
    );
    const foreign = new OtherCopyOfTrackOpsError('x');

    expect(foreign instanceof TrackOpsError).toBe(false);
    expect(isTrackOpsError(foreign)).toBe(true);
    expect(isTrackOpsError(foreign, 'X')).toBe(true);
  });
});

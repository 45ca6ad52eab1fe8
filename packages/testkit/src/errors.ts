import { TrackOpsError } from '@trackops/core';

/** The codes a {@link TestkitError} can carry. */
export type TestkitErrorCode =
  /** Endpoints given to `attachStack` or by the environment are missing or malformed. */
  | 'TESTKIT_INVALID_ENDPOINTS'
  /** `stackEndpoints()` was called in a run without the test kit's global setup. */
  | 'TESTKIT_NO_ENDPOINTS'
  /** `verifyStack` found a server that does not answer or lacks what the tests need. */
  | 'TESTKIT_STACK_UNAVAILABLE'
  /** `startContainers` found no Docker engine, or Testcontainers is not installed. */
  | 'TESTKIT_NO_CONTAINER_RUNTIME'
  /** An `expect…` assertion saw no match before its deadline; the message says what it saw. */
  | 'TESTKIT_EXPECTATION_FAILED';

/**
 * Errors of `@trackops/testkit`. Invalid options throw `TrackOpsError` `INVALID_OPTIONS`, naming
 * the option.
 */
export class TestkitError extends TrackOpsError<TestkitErrorCode> {
  override name = 'TestkitError';
}

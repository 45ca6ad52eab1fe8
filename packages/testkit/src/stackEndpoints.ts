import { inject } from 'vitest';
import type { StackEndpoints } from './endpoints.js';
import { TestkitError } from './errors.js';
import { providedStackKey } from './providedContext.js';

/**
 * Where this run's PostgreSQL, Kafka, Redis and Connect are, as the global setup
 * (`@trackops/testkit/globalSetup`, or your own calling `provideStack`) found or started them.
 * Call it in a test file, at the top or in a hook.
 *
 * @returns The endpoints of the run.
 * @throws {@link TestkitError} `TESTKIT_NO_ENDPOINTS` when the vitest project has no such global
 *   setup (say, a unit test file that reached for a server), saying what to configure.
 *
 * @example
 * ```ts
 * const stack = stackEndpoints();
 * const kafka = testKafka(stack.KAFKA_BROKERS);
 * ```
 */
export function stackEndpoints(): StackEndpoints {
  const endpoints = (inject as (key: string) => StackEndpoints | undefined)(providedStackKey);
  if (!endpoints) {
    throw new TestkitError({
      code: 'TESTKIT_NO_ENDPOINTS',
      message:
        "No stack endpoints: this test file needs a vitest project whose globalSetup is '@trackops/testkit/globalSetup' " +
        '(or a global setup of your own that calls provideStack()).',
    });
  }
  return endpoints;
}

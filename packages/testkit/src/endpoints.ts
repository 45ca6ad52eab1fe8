import { inject } from 'vitest';
import type { StackEndpoints } from '@trackops/stack';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by the global setup: where the run's servers are. */
    trackopsStack: StackEndpoints;
  }
}

/**
 * Where this run's PostgreSQL, Kafka, Redis and Connect are, as the global setup found them.
 * Throws when called outside a run that has the global setup (say, a unit test file that
 * reached for a server), naming what is missing.
 */
export function stackEndpoints(): StackEndpoints {
  const endpoints = inject('trackopsStack');
  if (!endpoints) {
    throw new Error(
      'No stack endpoints: this test needs the integration project (its global setup brings the stack up). ' +
        'Run it with `pnpm test:integration` or `npm test`.',
    );
  }
  return endpoints;
}

import { z } from 'zod';
import type { BackoffPolicy } from './backoff.js';

/**
 * How a consumer retries a message before giving up on it (dead-lettering it): the option
 * shape every TrackOps consumer takes, so they read alike.
 */
export const messageRetrySchema = z.object({
  /** Attempts per message before it is dead-lettered. @defaultValue 3 */
  attempts: z.int().min(1).default(3),
  /** Delay before the first retry (doubling, with jitter). @defaultValue 200 */
  initialMs: z.int().min(0).default(200),
  /** Upper bound of a delay. @defaultValue 5000 */
  maxMs: z.int().min(1).default(5000),
});

/** Resolved message-retry options. */
export type MessageRetry = z.output<typeof messageRetrySchema>;

/** The backoff between attempts of a {@link MessageRetry}. */
export function messageRetryBackoff(retry: MessageRetry): BackoffPolicy {
  return { initialMs: retry.initialMs, maxMs: retry.maxMs, multiplier: 2, jitter: true };
}

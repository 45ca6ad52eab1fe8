/** Exponential backoff, optionally with equal jitter (each delay within its upper half). */
export interface BackoffPolicy {
  /** Delay before the first retry, in ms. */
  readonly initialMs: number;
  /** Upper bound of any delay, in ms. */
  readonly maxMs: number;
  /** Growth factor per attempt. */
  readonly multiplier: number;
  /** Randomise each delay within [delay/2, delay] so retries of many clients spread out. */
  readonly jitter: boolean;
}

/**
 * The delay before retry number `attempt` (1 for the first retry).
 *
 * @param random - Injectable for tests; defaults to `Math.random`.
 */
export function backoffDelay(
  policy: BackoffPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(
    policy.maxMs,
    policy.initialMs * policy.multiplier ** Math.max(0, attempt - 1),
  );
  if (!policy.jitter) return Math.round(exponential);
  // "Equal jitter": never less than half the delay, so a retry storm still backs off.
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

/**
 * A circuit breaker in front of Redis. While Redis answers, it is `closed`. After
 * `failureThreshold` consecutive failures (errors or timeouts) it opens: for `openMs` no command
 * is sent at all, so a dead or drowning Redis is not hammered and callers do not each wait a
 * timeout. Then it is `half-open`: exactly one command goes through as a probe; its success
 * closes the breaker, its failure opens it for another `openMs`.
 */

/** The breaker's state. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Settings of the breaker (see `createCache` options `breaker`). */
export interface BreakerSettings {
  readonly failureThreshold: number;
  readonly openMs: number;
}

/** @internal */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private current: BreakerState = 'closed';
  /** How many times it opened. */
  opened = 0;

  constructor(
    private readonly settings: BreakerSettings,
    private readonly onChange: (state: BreakerState) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** The state now (an open breaker past `openMs` reads as half-open). */
  get state(): BreakerState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.settings.openMs)
      this.transition('half-open');
    return this.current;
  }

  /**
   * Whether a command may go to Redis now. In half-open, the first caller gets the probe and
   * must report its outcome with {@link CircuitBreaker.success} or {@link CircuitBreaker.failure}.
   */
  tryAcquire(): boolean {
    switch (this.state) {
      case 'closed':
        return true;
      case 'open':
        return false;
      case 'half-open':
        if (this.probing) return false;
        this.probing = true;
        return true;
    }
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    if (this.current !== 'closed') this.transition('closed');
  }

  failure(): void {
    this.failures++;
    const probeFailed = this.current === 'half-open';
    this.probing = false;
    if (
      probeFailed ||
      (this.current === 'closed' && this.failures >= this.settings.failureThreshold)
    ) {
      this.openedAt = this.now();
      this.opened++;
      this.transition('open');
    }
  }

  private transition(state: BreakerState): void {
    this.current = state;
    this.onChange(state);
  }
}

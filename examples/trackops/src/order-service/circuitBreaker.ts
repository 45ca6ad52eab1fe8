/**
 * A small circuit breaker around the simulated payment gateway. Closed, every call goes
 * through; `failureThreshold` consecutive failures open it, and for `coolDownMs` every call is
 * refused at once (no gateway round trip, no latency); then it is half-open: one trial call
 * goes through — its success closes the breaker, its failure opens it for another cool-down.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  failureThreshold: number;
  coolDownMs: number;
  /** @defaultValue `Date.now` */
  clock?: () => number;
  /** Called on every state change. */
  onStateChange?: (state: BreakerState) => void;
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | undefined;
  private trialInFlight = false;
  private readonly clock: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    if (!Number.isInteger(options.failureThreshold) || options.failureThreshold < 1) {
      throw new Error('failureThreshold: must be an integer >= 1');
    }
    if (!Number.isFinite(options.coolDownMs) || options.coolDownMs < 0) {
      throw new Error('coolDownMs: must be a number >= 0');
    }
    this.clock = options.clock ?? Date.now;
  }

  get state(): BreakerState {
    if (this.openedAt === undefined) return 'closed';
    return this.clock() - this.openedAt >= this.options.coolDownMs ? 'half-open' : 'open';
  }

  /**
   * Runs `call` unless the breaker refuses it; `isFailure` says which outcomes count as a
   * gateway failure (a declined card is an answer, not a failure).
   *
   * @returns `{ refused: true }` when the breaker is open (or a half-open trial is in flight).
   */
  async run<T>(
    call: () => Promise<T>,
    isFailure: (error: unknown) => boolean = () => true,
  ): Promise<{ refused: true } | { refused: false; value: T }> {
    const state = this.state;
    if (state === 'open' || (state === 'half-open' && this.trialInFlight)) return { refused: true };
    const trial = state === 'half-open';
    if (trial) this.trialInFlight = true;
    try {
      const value = await call();
      this.succeeded();
      return { refused: false, value };
    } catch (error) {
      if (isFailure(error)) this.failed();
      else this.succeeded();
      throw error;
    } finally {
      if (trial) this.trialInFlight = false;
    }
  }

  private succeeded(): void {
    this.failures = 0;
    if (this.openedAt !== undefined) {
      this.openedAt = undefined;
      this.options.onStateChange?.('closed');
    }
  }

  private failed(): void {
    this.failures++;
    if (this.openedAt !== undefined || this.failures >= this.options.failureThreshold) {
      this.openedAt = this.clock();
      this.options.onStateChange?.('open');
    }
  }
}

import { TrackOpsError } from './errors.js';

/**
 * The start/stop discipline every long-running TrackOps component shares: `start()` runs the
 * component's start once (concurrent and repeated calls share it), `stop()` runs its stop once
 * after any start in progress has settled, and a stopped component cannot start again.
 */
export class Lifecycle {
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  /**
   * @param component - Named in the error when starting after stop.
   * @param hooks - The component's own start and stop work.
   */
  constructor(
    private readonly component: string,
    private readonly hooks: { start: () => Promise<void>; stop: () => Promise<void> },
  ) {}

  /** Starts once; rejects with `STOPPED` after `stop()`. */
  start(): Promise<void> {
    if (this.stopping) {
      return Promise.reject(
        new TrackOpsError({
          code: 'STOPPED',
          message: `the ${this.component} was stopped; create a new one`,
        }),
      );
    }
    this.starting ??= this.hooks.start();
    return this.starting;
  }

  /** Stops once, after a start in progress (even a failed one) has settled. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.starting?.catch(() => undefined);
      await this.hooks.stop();
    })();
    return this.stopping;
  }

  /**
   * Stops when `signal` aborts — at once if it already has (a later `start()` then rejects
   * with `STOPPED`). Every component taking a `signal` option wires it here, so they all treat
   * an aborted signal alike.
   */
  stopOn(signal: AbortSignal | undefined): void {
    if (signal === undefined) return;
    if (signal.aborted) void this.stop();
    else signal.addEventListener('abort', () => void this.stop(), { once: true });
  }

  /** True once `stop()` was called. */
  get stopped(): boolean {
    return this.stopping !== undefined;
  }
}

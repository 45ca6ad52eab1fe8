/**
 * Undo actions, run in reverse order of registration (connector before its database, and so
 * on). Every action runs even when an earlier one fails; failures are reported, not thrown,
 * so one stuck resource does not leave the others behind.
 */
export class Cleanup {
  /** Every cleanup with actions pending, so an interrupted run can still undo them. */
  static readonly pending = new Set<Cleanup>();

  private readonly actions: Array<{ label: string; action: () => Promise<void> }> = [];

  /** Registers an action to run at {@link Cleanup.run}. */
  defer(label: string, action: () => Promise<void>): void {
    this.actions.push({ label, action });
    Cleanup.pending.add(this);
  }

  /** Runs (and forgets) every registered action, newest first. */
  async run(): Promise<void> {
    while (this.actions.length > 0) {
      const { label, action } = this.actions.pop()!;
      try {
        await action();
      } catch (error) {
        console.error(`cleanup: ${label} failed: ${(error as Error).message}`);
      }
    }
    Cleanup.pending.delete(this);
  }

  /** Runs every pending cleanup (newest first); for an interrupted run. */
  static async runPending(): Promise<void> {
    for (const cleanup of [...Cleanup.pending].reverse()) await cleanup.run();
  }

  /**
   * On SIGINT or SIGTERM, runs every pending cleanup and exits with 130, so a benchmark
   * stopped by hand leaves no connector, slot, database or topic behind.
   */
  static onInterrupt(): void {
    const interrupted = (signal: NodeJS.Signals): void => {
      console.error(`\n${signal}: cleaning up…`);
      void Cleanup.runPending().finally(() => process.exit(130));
    };
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
  }

  /** `await using cleanup = new Cleanup()` runs it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.run();
  }
}

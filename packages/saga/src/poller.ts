import { withTransaction, type ConnectionPool, type Logger, type Queryable } from '@trackops/core';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Applied } from './engine.js';
import { claimDue, type InstanceRow } from './store.js';
import type { SagaTableNames } from './tables.js';

/** @internal */
export interface DeadlinePollerOptions {
  pool: ConnectionPool;
  names: SagaTableNames;
  intervalMs: number;
  batchSize: number;
  clock: () => number;
  logger: Logger;
  /** Applies the deadline to one locked instance, in `tx`. */
  wake: (tx: Queryable, instance: InstanceRow) => Promise<Applied>;
  /** Called after the batch committed, once per woken instance. */
  onApplied: (applied: Applied) => void;
}

/**
 * Wakes sagas whose deadline passed (a reply timed out, a backoff ended). Each round claims due
 * instances with `FOR UPDATE SKIP LOCKED` in one transaction, so several runtimes poll the
 * same table without waking a saga twice; each instance runs under a savepoint, so one that
 * throws is left for the next round without undoing the others.
 * @internal
 */
export class DeadlinePoller {
  private readonly controller = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly options: DeadlinePollerOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.controller.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { signal } = this.controller;
    while (!signal.aborted) {
      let full = false;
      try {
        // A full round means more may be due: go again at once.
        full = (await this.round()) === this.options.batchSize;
      } catch (error) {
        this.options.logger.warn({ err: error }, 'saga deadline poll failed; retrying');
      }
      if (full) continue;
      await sleep(this.options.intervalMs, undefined, { signal }).catch(() => undefined);
    }
  }

  /** One round; returns how many instances it woke (those that threw are not counted). */
  async round(): Promise<number> {
    const { pool, names, batchSize, clock } = this.options;
    const applied: Applied[] = [];
    await withTransaction(pool, async (tx) => {
      const due = await claimDue(tx, names, clock(), batchSize);
      for (const instance of due) {
        await tx.query('savepoint trackops_saga_wake');
        try {
          applied.push(await this.options.wake(tx, instance));
          await tx.query('release savepoint trackops_saga_wake');
        } catch (error) {
          await tx.query('rollback to savepoint trackops_saga_wake');
          this.options.logger.error(
            { err: error, sagaId: instance.id },
            'saga deadline could not be applied; retrying next round',
          );
        }
      }
    });
    for (const entry of applied) this.options.onApplied(entry);
    return applied.length;
  }
}

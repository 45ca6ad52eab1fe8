import {
  backoffDelay,
  checkOut,
  Lifecycle,
  optionTypes,
  parseOptions,
  silentLogger,
  TypedEmitter,
  type Logger,
  type PooledConnection,
  queryPrepared,
} from '@trackops/core';
import type { Producer } from 'kafkajs';
import { z } from 'zod';
import {
  deletePublished,
  eligibleRows,
  markFailed,
  markPublished,
  type OutboxRow,
} from './claim.js';
import { OutboxError } from './errors.js';
import { publishRows, type PublishOutcome } from './publish.js';
import { routeSchema } from './routing.js';
import { outboxNames, outboxTableSchema, type OutboxNames } from './table.js';

const backoffSchema = z.object({
  /** @defaultValue 500 */
  initialMs: z.int().min(1).default(500),
  /** @defaultValue 60000 */
  maxMs: z.int().min(1).default(60_000),
  /** @defaultValue 2 */
  multiplier: z.number().min(1).default(2),
  /** @defaultValue true */
  jitter: z.boolean().default(true),
});

/** The relay's options; {@link createRelay} validates them once. */
export const relayOptionsSchema = z
  .object({
    /** The pool the relay takes its connections from (one for LISTEN, one per batch). */
    pool: optionTypes.pool(),
    /** The kafkajs client; the relay creates and owns one idempotent producer on it. */
    kafka: optionTypes.kafka(),
    /** The outbox table. @defaultValue `public.outbox` */
    table: outboxTableSchema.prefault({}),
    /** Topic routing, as Debezium's Outbox Event Router names it. */
    route: routeSchema.prefault({}),
    /** Rows per batch. @defaultValue 500 */
    batchSize: z.int().min(1).max(10_000).default(500),
    /**
     * Batches per transaction (a "cycle"): sends overlap the marking and selecting of the
     * neighbouring batches within a cycle. A crash republishes at most one cycle.
     * @defaultValue 10
     */
    batchesPerCycle: z.int().min(1).max(1000).default(10),
    /**
     * Upper bound of one produce request's payload; keep it under the broker's
     * `message.max.bytes`. @defaultValue 921600 (900 KiB)
     */
    maxBatchBytes: z
      .int()
      .min(1024)
      .default(900 * 1024),
    /** Poll interval when no notification arrives. @defaultValue 1000 */
    pollIntervalMs: z.int().min(10).default(1000),
    /** Wake on `LISTEN/NOTIFY` as well as polling. @defaultValue true */
    listen: z.boolean().default(true),
    /** Attempts before a row that keeps failing goes dead. @defaultValue 10 */
    maxAttempts: z.int().min(1).default(10),
    /** Delay between attempts of a failing row (and of the relay after broker errors). */
    backoff: backoffSchema.prefault({}),
    /**
     * What a dead row does to its aggregate's later events: `block` holds them until the dead
     * row is replayed or purged (order kept); `skip` lets them flow (order broken for it).
     * @defaultValue `'block'`
     */
    onDeadEvent: z.union([z.literal('block'), z.literal('skip')]).default('block'),
    /** Deletion of published rows. */
    retention: z
      .object({
        /** Keep published rows this long. @defaultValue 7 days */
        publishedMs: z
          .int()
          .min(0)
          .default(7 * 24 * 3600 * 1000),
        /** How often to clean up. @defaultValue 60000 */
        intervalMs: z.int().min(1000).default(60_000),
        /** Rows per delete statement. @defaultValue 1000 */
        batchSize: z.int().min(1).default(1000),
      })
      .prefault({}),
    /** How long `stop()` waits for the in-flight batch. @defaultValue 30000 */
    stopTimeoutMs: z.int().min(0).default(30_000),
    /** Stops the relay when aborted. */
    signal: optionTypes.signal().optional(),
    /** Where the relay logs (pino-compatible). @defaultValue silent */
    logger: optionTypes.logger().optional(),
    /** Called with background errors (also emitted as `relay:error`). */
    onError: optionTypes.fn<(error: Error) => void>().optional(),
  })
  .strict();

/** Options of {@link createRelay}. */
export type RelayOptions = z.input<typeof relayOptionsSchema>;
type ResolvedOptions = z.output<typeof relayOptionsSchema>;

/** The relay's instrumentation events. */
export interface RelayEvents {
  [event: string]: unknown;
  'relay:started': { table: string };
  'relay:stopped': { table: string };
  'relay:batch:published': { count: number; durationMs: number };
  'relay:event:failed': {
    id: string;
    aggregateType: string;
    aggregateId: string;
    type: string;
    error: Error;
    dead: boolean;
  };
  'relay:error': { error: Error; consecutiveFailures: number };
  'relay:cleanup': { deleted: number };
}

/** What one {@link OutboxRelay.runBatch} did. */
export type BatchResult =
  | { kind: 'not-leader' }
  | { kind: 'done'; published: number; failed: number; selected: number; more: boolean }
  | { kind: 'aborted'; published: number; error: Error };

/**
 * Publishes outbox rows to Kafka, in order per aggregate, at least once.
 *
 * **Ordering and several relays.** Each cycle of batches runs in one transaction that first
 * takes a transaction-scoped advisory lock of the table: select rows, publish, mark them
 * published, commit. At most one cycle of a table is in flight across all relay processes,
 * and it is committed before the next can start — so any number of relays may run (for
 * availability), and when one dies mid-cycle PostgreSQL ends its transaction and releases the
 * lock at once; the next relay republishes that cycle (duplicates, never gaps or reordering).
 *
 * **Guarantees.** At least once: a row is marked published only after the broker
 * acknowledged it (acks=all, idempotent producer, one request in flight). Per aggregate and
 * topic, records reach Kafka in `seq` order, which `enqueue`'s aggregate lock makes commit
 * order. A record-level failure (too large, illegal topic) charges only its row, retried with
 * backoff until `maxAttempts`, then dead; broker and network failures charge nothing.
 */
export class OutboxRelay {
  private readonly options: ResolvedOptions;
  private readonly names: OutboxNames;
  private readonly logger: Logger;
  private readonly events: TypedEmitter<RelayEvents>;
  private producer: Producer | undefined;
  private listener: PooledConnection | undefined;
  private loop: Promise<void> | undefined;
  private readonly lifecycle = new Lifecycle('outbox relay', {
    start: () => this.doStart(),
    stop: () => this.doStop(),
  });
  private running = false;
  private wake: (() => void) | undefined;
  private pendingWake = false;
  private consecutiveFailures = 0;
  private lastCleanup = 0;
  private readonly stopController = new AbortController();

  constructor(options: RelayOptions) {
    this.options = parseOptions(relayOptionsSchema, options, 'createRelay');
    this.names = outboxNames(this.options.table);
    this.logger = this.options.logger ?? silentLogger;
    this.events = new TypedEmitter<RelayEvents>((error, event) =>
      this.logger.warn({ err: error, event }, 'outbox relay event listener threw'),
    );
    this.lifecycle.stopOn(this.options.signal);
  }

  /** Subscribes to an instrumentation event; returns the unsubscribe function. */
  on<K extends keyof RelayEvents>(
    event: K,
    listener: (payload: RelayEvents[K]) => void,
  ): () => void {
    return this.events.on(event, listener);
  }

  /** True between a completed `start()` and `stop()`. */
  get isRunning(): boolean {
    return this.running;
  }

  /**
   * Connects the producer, starts listening and begins relaying. Idempotent; resolves once
   * the relay runs. Rejects (and leaves nothing running) if Kafka cannot be reached.
   */
  start(): Promise<void> {
    return this.lifecycle.start();
  }

  private async doStart(): Promise<void> {
    // acks=all and one request in flight: kafkajs' idempotent producer keeps order only then.
    const producer = this.options.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
    });
    await producer.connect();
    this.producer = producer;
    this.running = true;
    if (this.options.listen) void this.listen();
    this.loop = this.run();
    this.logger.info({ table: this.names.qualified }, 'outbox relay started');
    this.events.emit('relay:started', { table: this.names.qualified });
  }

  /**
   * Stops gracefully: the in-flight batch finishes (or, after `stopTimeoutMs`, is abandoned
   * and its rows republished later), then the listener and producer are released.
   * Idempotent and safe to call concurrently.
   */
  stop(): Promise<void> {
    return this.lifecycle.stop();
  }

  private async doStop(): Promise<void> {
    this.running = false;
    this.stopController.abort();
    this.wake?.();
    if (this.loop) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.loop,
        new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.stopTimeoutMs))),
      ]);
      clearTimeout(timer);
    }
    const listener = this.listener;
    this.listener = undefined;
    if (listener) {
      await listener.query(`unlisten "${this.names.channel}"`).catch(() => undefined);
      listener.release();
    }
    await this.producer?.disconnect();
    this.logger.info({ table: this.names.qualified }, 'outbox relay stopped');
    this.events.emit('relay:stopped', { table: this.names.qualified });
  }

  /** `await using relay = createRelay(…)` stops it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /**
   * Runs one cycle now — up to `batchesPerCycle` batches in one transaction under the table's
   * relay lock (the loop calls this; operators and tests may too while the relay is started).
   * `more` says the last batch was full, so rows are probably waiting.
   */
  async runBatch(): Promise<BatchResult> {
    const producer = this.producer;
    if (!producer)
      throw new OutboxError({
        code: 'OUTBOX_NOT_STARTED',
        message: 'start() the relay before running a batch',
      });
    const { batchSize, batchesPerCycle, route, maxBatchBytes } = this.options;
    const deadBlocks = this.options.onDeadEvent === 'block';
    // Held across Kafka sends: a connection dropped meanwhile must fail the next query, not
    // the process.
    const { client, release } = await checkOut(this.options.pool);
    let broken: Error | undefined;
    try {
      await client.query('begin');
      const { rows } = await queryPrepared<{ leader: boolean }>(
        client,
        'select pg_try_advisory_xact_lock(hashtextextended($1, 0)) as leader',
        [this.names.relayLockKey],
      );
      if (!rows[0]?.leader) {
        await client.query('rollback');
        return { kind: 'not-leader' };
      }
      // A cycle is up to `batchesPerCycle` batches in this one transaction. Each batch's send
      // overlaps the previous batch's mark and the next batch's select (PostgreSQL and Kafka
      // work at the same time); sends stay strictly sequential, so order is as before. The
      // marks commit together at the end: a crash republishes the whole cycle.
      const blocked = new Set<string>();
      const published: Array<{ count: number; durationMs: number }> = [];
      let unmarked: string[] = [];
      let failed = 0;
      let selected = 0;
      let aborted: Error | undefined;
      let batch = await eligibleRows(client, this.names, batchSize, deadBlocks);
      // Whether rows are probably still waiting when the cycle ends: the loop reruns at once.
      let more = false;
      for (let index = 0; batch.length > 0; index++) {
        const started = Date.now();
        selected += batch.length;
        const last = batch[batch.length - 1]!;
        const full = batch.length === batchSize;
        const continues = index + 1 < batchesPerCycle && full && this.running;
        // allSettled, not all: if PostgreSQL fails, the send in flight must still finish
        // before the lock is given up, or it could land after the next relay's sends.
        const [sent, marked, selectedNext] = await Promise.allSettled([
          publishRows(producer, batch, route, maxBatchBytes, blocked),
          markPublished(client, this.names, unmarked),
          continues
            ? eligibleRows(client, this.names, batchSize, deadBlocks, last.seq)
            : Promise.resolve([]),
        ]);
        for (const result of [sent, marked, selectedNext]) {
          if (result.status === 'rejected') throw result.reason;
        }
        const outcome = (sent as PromiseFulfilledResult<PublishOutcome>).value;
        const next = (selectedNext as PromiseFulfilledResult<OutboxRow[]>).value;
        unmarked = outcome.published;
        failed += outcome.failed.length;
        await this.recordFailures(client, outcome.failed);
        published.push({ count: outcome.published.length, durationMs: Date.now() - started });
        if (outcome.aborted) {
          aborted = outcome.aborted;
          break;
        }
        more = continues ? next.length > 0 : full;
        batch = next;
      }
      await markPublished(client, this.names, unmarked);
      await client.query('commit');
      for (const batchStats of published) {
        if (batchStats.count > 0) this.events.emit('relay:batch:published', batchStats);
      }
      const count = published.reduce((sum, batchStats) => sum + batchStats.count, 0);
      if (aborted) return { kind: 'aborted', published: count, error: aborted };
      return { kind: 'done', published: count, failed, selected, more };
    } catch (error) {
      broken = error as Error;
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      // A connection that failed mid-transaction is discarded rather than reused.
      release(broken);
    }
  }

  /** Charges each row-level failure to its row (backoff or dead) and reports it. */
  private async recordFailures(
    client: PooledConnection,
    failures: ReadonlyArray<{ row: OutboxRow; error: Error }>,
  ): Promise<void> {
    for (const { row, error } of failures) {
      const delayMs = backoffDelay(this.options.backoff, row.attempts + 1);
      const dead = await markFailed(client, this.names, {
        id: row.id,
        error: error.message,
        delayMs,
        maxAttempts: this.options.maxAttempts,
      });
      this.logger.warn(
        { id: row.id, aggregateId: row.aggregateid, type: row.type, err: error, dead },
        'outbox event failed',
      );
      this.events.emit('relay:event:failed', () => ({
        id: row.id,
        aggregateType: row.aggregatetype,
        aggregateId: row.aggregateid,
        type: row.type,
        error,
        dead,
      }));
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      let result: BatchResult;
      try {
        result = await this.runBatch();
      } catch (error) {
        result = { kind: 'aborted', published: 0, error: error as Error };
      }
      if (!this.running) return;
      if (result.kind === 'aborted') {
        this.consecutiveFailures++;
        this.report(result.error);
        await this.idle(backoffDelay(this.options.backoff, this.consecutiveFailures));
        continue;
      }
      this.consecutiveFailures = 0;
      if (result.kind === 'done' && result.more) continue;
      await this.cleanupIfDue();
      await this.idle(this.options.pollIntervalMs);
    }
  }

  private report(error: Error): void {
    this.logger.error(
      { err: error, consecutiveFailures: this.consecutiveFailures, table: this.names.qualified },
      'outbox relay batch failed',
    );
    this.events.emit('relay:error', () => ({
      error,
      consecutiveFailures: this.consecutiveFailures,
    }));
    try {
      this.options.onError?.(error);
    } catch (hookError) {
      this.logger.warn({ err: hookError }, 'outbox relay onError hook threw');
    }
  }

  /** Waits for a notification, `ms`, or stop — whichever comes first. */
  private idle(ms: number): Promise<void> {
    if (this.pendingWake) {
      this.pendingWake = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const wake = (): void => done();
      this.wake = wake;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
    }).finally(() => {
      this.wake = undefined;
    });
  }

  private notified(): void {
    if (this.wake) this.wake();
    else this.pendingWake = true;
  }

  /** Holds one connection in LISTEN; on loss, reconnects with backoff (polling covers the gap). */
  private async listen(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let client: PooledConnection | undefined;
      try {
        client = await this.options.pool.connect();
        const lost = new Promise<Error>((resolve) => {
          const connection = client as unknown as NodeJS.EventEmitter;
          connection.on('notification', () => this.notified());
          // Without this listener a dropped connection would surface as an unhandled 'error'.
          connection.on('error', resolve);
          connection.on('end', () => resolve(new Error('LISTEN connection ended')));
        });
        await client.query(`listen "${this.names.channel}"`);
        if (!this.running) {
          client.release();
          return;
        }
        this.listener = client;
        failures = 0;
        const error = await Promise.race([lost, this.stopped()]);
        if (!error) return; // stopped: doStop releases the client
        this.listener = undefined;
        client.release(error);
        this.logger.warn({ err: error }, 'outbox relay lost its LISTEN connection; reconnecting');
      } catch (error) {
        client?.release(error as Error);
        failures++;
        this.logger.warn({ err: error }, 'outbox relay could not LISTEN; polling meanwhile');
      }
      await this.idleUnlessStopped(backoffDelay(this.options.backoff, Math.max(1, failures)));
    }
  }

  private stopped(): Promise<undefined> {
    return new Promise((resolve) => {
      if (!this.running) resolve(undefined);
      else
        this.stopController.signal.addEventListener('abort', () => resolve(undefined), {
          once: true,
        });
    });
  }

  private async idleUnlessStopped(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise((resolve) => (timer = setTimeout(resolve, ms))),
      this.stopped(),
    ]);
    clearTimeout(timer);
  }

  private async cleanupIfDue(): Promise<void> {
    const { retention } = this.options;
    if (Date.now() - this.lastCleanup < retention.intervalMs) return;
    this.lastCleanup = Date.now();
    try {
      const deleted = await deletePublished(this.options.pool, this.names, {
        olderThanMs: retention.publishedMs,
        batchSize: retention.batchSize,
        signal: this.stopController.signal,
      });
      if (deleted > 0) this.events.emit('relay:cleanup', { deleted });
    } catch (error) {
      this.report(error as Error);
    }
  }
}

/**
 * Creates an outbox relay (not started). Options are validated now; a bad one throws
 * `TrackOpsError` `INVALID_OPTIONS` naming it.
 *
 * @example
 * ```ts
 * const relay = createRelay({ pool, kafka, route: { topic: 'orders.${routedByValue}' } });
 * await relay.start();
 * process.once('SIGTERM', () => void relay.stop());
 * ```
 */
export function createRelay(options: RelayOptions): OutboxRelay {
  return new OutboxRelay(options);
}

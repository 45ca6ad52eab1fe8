import {
  Lifecycle,
  messageRetrySchema,
  optionTypes,
  parseOptions,
  silentLogger,
  TypedEmitter,
  withTransaction,
  type ConnectionPool,
  type Logger,
  type Queryable,
} from '@trackops/core';
import { createOutbox, type InboxMessage } from '@trackops/outbox';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import type { SagaDefinition } from './definition.js';
import { SagaEngine, type Applied } from './engine.js';
import { SagaError } from './errors.js';
import { isFinal, type SagaInput } from './machine.js';
import { addressOf, replyOutcome } from './messages.js';
import { DeadlinePoller } from './poller.js';
import { relaySettingsSchema } from './relaySettings.js';
import { lockInstance } from './store.js';
import { sagaTableNames, sagaTablesSchema } from './tables.js';
import { SagaTransport } from './transport.js';

/** Options of {@link createSagaRuntime}. */
export const sagaRuntimeOptionsSchema = z
  .object({
    /** The saga database (where `migrateSagas` created the tables). */
    pool: optionTypes.pool(),
    /** The kafkajs client: the reply consumer and the relay of the saga outbox use it. */
    kafka: optionTypes.kafka(),
    /** The sagas this runtime runs (built with `defineSaga`). */
    sagas: z
      .array(
        z.custom<SagaDefinition>(
          (value) => typeof value === 'object' && value !== null && 'steps' in value,
          'must be built with defineSaga(...).build()',
        ),
      )
      .min(1),
    /** The topic participants reply to (sent with each command as the `reply-topic` header). */
    replyTopic: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a valid Kafka topic name'),
    /** The reply consumer's group (all runtimes of one service share it). @defaultValue `saga-<replyTopic>` */
    groupId: z.string().min(1).optional(),
    /** The schema of the saga tables. @defaultValue `'public'` */
    tables: sagaTablesSchema.prefault({}),
    /**
     * The relay that publishes the saga outbox (`false`: you run one yourself, routing
     * `aggregatetype` to the topic as is). @defaultValue a relay with its defaults
     */
    relay: z.union([z.literal(false), relaySettingsSchema]).prefault({}),
    /** How often the deadline poller looks for timed-out steps and due retries. @defaultValue 500 */
    pollIntervalMs: z.int().min(10).default(500),
    /** Due sagas woken per poller transaction. @defaultValue 100 */
    pollBatchSize: z.int().min(1).max(10_000).default(100),
    /** Retries of a reply that fails to apply, before it is dead-lettered. */
    retry: messageRetrySchema.prefault({}),
    /** Reply partitions processed at once (order holds per saga). @defaultValue 4 */
    partitionsConsumedConcurrently: z.int().min(1).max(64).default(4),
    /** Read the reply topic from the start when the group is new. @defaultValue true */
    fromBeginning: z.boolean().default(true),
    /** The clock for deadlines (epoch ms). @defaultValue `Date.now` */
    clock: optionTypes.fn<() => number>().optional(),
    signal: optionTypes.signal().optional(),
    logger: optionTypes.logger().optional(),
  })
  .strict();

/** Options of {@link createSagaRuntime}. */
export type SagaRuntimeOptions = z.input<typeof sagaRuntimeOptionsSchema>;

/** Instrumentation events of the runtime (for metrics and logs). */
export interface SagaRuntimeEvents {
  [event: string]: unknown;
  /** `begin` wrote a saga (in the caller's transaction, which may still roll back). */
  'saga:started': { sagaId: string; sagaType: string };
  /** A saga moved, committed. `to` is its new status. */
  'saga:transition': { sagaId: string; sagaType: string; from: string; to: string; step: number };
  /** A saga reached a final or operator-bound status; `durationMs` since it began. */
  'saga:ended': { sagaId: string; sagaType: string; status: string; durationMs: number };
  /** A reply was absorbed without effect (duplicate, late, or for a finished saga). */
  'saga:reply-ignored': { sagaId: string; reason: string };
}

/** What this runtime process did since it was created (see also `sagaStats` for the table). */
export interface SagaRuntimeStats {
  /** Sagas begun through this runtime. */
  started: number;
  completed: number;
  compensated: number;
  compensationFailed: number;
  aborted: number;
  /** Transitions this runtime committed (replies, deadlines, operator calls, begins). */
  transitions: number;
  /** Replies absorbed without effect (duplicate, late, or for a finished or unknown saga). */
  repliesIgnored: number;
}

/** Options of {@link SagaRuntime.begin}. */
export interface BeginOptions {
  /** The saga id (UUID). @defaultValue a new UUIDv7 */
  id?: string;
  /** Sent as `correlation-id` with every command. @defaultValue the saga id */
  correlationId?: string;
}

/**
 * Runs sagas: `begin` starts one inside the caller's transaction; replies arrive through an
 * inbox consumer on the reply topic; a poller fires step timeouts and retries; commands leave
 * through the saga outbox and its relay. Every transition is one database transaction (state,
 * step log, inbox record, next command), so a crash anywhere resumes without loss or double
 * effect. Several runtimes can share the same tables: row locks, `SKIP LOCKED` and an
 * optimistic version keep any transition from being applied twice.
 */
export class SagaRuntime {
  private readonly options: z.output<typeof sagaRuntimeOptionsSchema>;
  private readonly logger: Logger;
  private readonly events: TypedEmitter<SagaRuntimeEvents>;
  private readonly names;
  private readonly engine: SagaEngine;
  private readonly clock: () => number;
  private readonly transport = new SagaTransport();
  private poller: DeadlinePoller | undefined;
  private readonly counters: SagaRuntimeStats = {
    started: 0,
    completed: 0,
    compensated: 0,
    compensationFailed: 0,
    aborted: 0,
    transitions: 0,
    repliesIgnored: 0,
  };
  private readonly lifecycle = new Lifecycle('saga runtime', {
    start: () => this.doStart(),
    stop: () => this.doStop(),
  });

  constructor(options: SagaRuntimeOptions) {
    this.options = parseOptions(sagaRuntimeOptionsSchema, options, 'createSagaRuntime');
    this.logger = this.options.logger ?? silentLogger;
    this.events = new TypedEmitter((error, event) =>
      this.logger.warn({ err: error, event }, 'saga runtime listener threw'),
    );
    this.names = sagaTableNames(this.options.tables);
    this.clock = this.options.clock ?? Date.now;
    this.engine = new SagaEngine(
      this.options.sagas,
      this.names,
      createOutbox(this.names.outbox),
      this.options.replyTopic,
      this.clock,
    );
    this.lifecycle.stopOn(this.options.signal);
  }

  /** Subscribes to an instrumentation event; returns the unsubscribe function. */
  on<K extends keyof SagaRuntimeEvents>(
    event: K,
    listener: (payload: SagaRuntimeEvents[K]) => void,
  ): () => void {
    return this.events.on(event, listener);
  }

  /** A snapshot of what this runtime did (counted after each transaction committed). */
  stats(): SagaRuntimeStats {
    return { ...this.counters };
  }

  /** Starts the relay, the reply consumer and the deadline poller. Idempotent. */
  start(): Promise<void> {
    return this.lifecycle.start();
  }

  /** Stops consuming, polling and relaying after the work in hand. Idempotent. */
  stop(): Promise<void> {
    return this.lifecycle.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private async doStart(): Promise<void> {
    const { pool, kafka, replyTopic } = this.options;
    await this.transport.start({
      pool,
      kafka,
      names: this.names,
      logger: this.logger,
      relay: this.options.relay,
      groupId: this.options.groupId ?? `saga-${replyTopic}`,
      topics: [replyTopic],
      fromBeginning: this.options.fromBeginning,
      retry: this.options.retry,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently,
      handler: (message, tx) => this.onReply(message, tx),
    });
    this.poller = new DeadlinePoller({
      pool,
      names: this.names,
      intervalMs: this.options.pollIntervalMs,
      batchSize: this.options.pollBatchSize,
      clock: this.clock,
      logger: this.logger,
      wake: (tx, instance) => this.engine.apply(tx, instance, { kind: 'deadline' }, null),
      onApplied: (applied) => this.report(applied),
    });
    this.poller.start();
  }

  private async doStop(): Promise<void> {
    await this.poller?.stop();
    await this.transport.stop();
  }

  /**
   * Starts a saga inside the caller's transaction: the instance, its first step's log entry
   * and its first command commit with the caller's own writes (an order and its saga, say), or
   * vanish with them. A first step that is local runs right here, in that transaction.
   *
   * @param client - The caller's transaction (or a pool: then it commits on its own).
   * @returns The saga id.
   * @throws SagaError `SAGA_INVALID_DATA` naming the field; nothing is written.
   */
  async begin<TData>(
    client: Queryable,
    saga: SagaDefinition<TData>,
    data: TData,
    options: BeginOptions = {},
  ): Promise<string> {
    const id = options.id ?? uuidv7();
    const run = (tx: Queryable) =>
      this.engine.begin(tx, saga, data, id, options.correlationId ?? null);
    // A bare pool would run each statement on its own; give the saga a transaction of its own.
    const applied = isPool(client) ? await withTransaction(client, run) : await run(client);
    this.logger.info(
      { sagaId: id, sagaType: saga.name, correlationId: options.correlationId ?? id },
      'saga started',
    );
    this.counters.started++;
    this.events.emit('saga:started', { sagaId: id, sagaType: saga.name });
    this.report(applied);
    return id;
  }

  /**
   * Retries the compensation of a saga in `COMPENSATION_FAILED` (after the cause is fixed).
   * @throws SagaError `SAGA_NOT_FOUND` or `SAGA_INVALID_STATE`.
   */
  retry(sagaId: string): Promise<void> {
    return this.operate(sagaId, { kind: 'operator-retry' });
  }

  /**
   * Aborts a saga: a `RUNNING` one compensates what it completed (and a command in flight); a
   * `COMPENSATION_FAILED` one ends `ABORTED`, leaving the leftover to the operator.
   * @throws SagaError `SAGA_NOT_FOUND` or `SAGA_INVALID_STATE`.
   */
  abort(sagaId: string, reason: string): Promise<void> {
    return this.operate(sagaId, { kind: 'operator-abort', reason });
  }

  private async operate(sagaId: string, input: SagaInput): Promise<void> {
    const applied = await withTransaction(this.options.pool, async (tx) => {
      const instance = await lockInstance(tx, this.names, sagaId);
      if (instance === undefined) {
        throw new SagaError({ code: 'SAGA_NOT_FOUND', message: `no saga with id ${sagaId}` });
      }
      return this.engine.apply(tx, instance, input, null);
    });
    this.logger.info({ sagaId, operation: input.kind }, 'saga operator call applied');
    this.report(applied);
  }

  private async onReply(message: InboxMessage, tx: Queryable): Promise<void> {
    const address = addressOf(message.headers);
    const instance = await lockInstance(tx, this.names, address.sagaId);
    if (instance === undefined) {
      this.logger.warn(
        { sagaId: address.sagaId, messageId: message.messageId },
        'reply for an unknown saga ignored',
      );
      this.counters.repliesIgnored++;
      this.events.emit('saga:reply-ignored', { sagaId: address.sagaId, reason: 'unknown saga' });
      return;
    }
    const outcome = replyOutcome(message.headers, message.value);
    const input: SagaInput =
      outcome.outcome === 'success'
        ? {
            kind: 'reply',
            step: address.step,
            phase: address.phase,
            outcome: 'success',
            payload: outcome.payload,
          }
        : {
            kind: 'reply',
            step: address.step,
            phase: address.phase,
            outcome: 'failure',
            reason: outcome.reason,
          };
    const applied = await this.engine.apply(tx, instance, input, message.messageId);
    // Reported before the inbox commits: a failed commit redelivers the reply and reports again.
    this.report(applied);
  }

  private count(status: string): void {
    if (status === 'COMPLETED') this.counters.completed++;
    else if (status === 'COMPENSATED') this.counters.compensated++;
    else if (status === 'COMPENSATION_FAILED') this.counters.compensationFailed++;
    else if (status === 'ABORTED') this.counters.aborted++;
  }

  private report(applied: Applied): void {
    const { instance, before, after, ignored } = applied;
    const context = {
      sagaId: instance.id,
      sagaType: instance.sagaType,
      correlationId: instance.correlationId ?? instance.id,
    };
    if (ignored !== null) {
      this.logger.info({ ...context, reason: ignored }, 'saga input ignored');
      if (applied.log.some((entry) => entry.event === 'reply-ignored')) {
        this.counters.repliesIgnored++;
        this.events.emit('saga:reply-ignored', { sagaId: instance.id, reason: ignored });
      }
      return;
    }
    this.counters.transitions++;
    this.events.emit('saga:transition', {
      sagaId: instance.id,
      sagaType: instance.sagaType,
      from: before.status,
      to: after.status,
      step: after.step,
    });
    if (after.status !== before.status || after.step !== before.step) {
      this.logger.debug(
        { ...context, status: after.status, step: after.step, phase: after.phase },
        'saga moved',
      );
    }
    if (
      after.status !== before.status &&
      (isFinal(after.status) || after.status === 'COMPENSATION_FAILED')
    ) {
      this.count(after.status);
      const level = after.status === 'COMPLETED' ? 'info' : 'warn';
      this.logger[level](
        { ...context, status: after.status, error: after.error },
        `saga ${after.status.toLowerCase()}`,
      );
      this.events.emit('saga:ended', {
        sagaId: instance.id,
        sagaType: instance.sagaType,
        status: after.status,
        durationMs: this.clock() - instance.createdAt.getTime(),
      });
    }
  }
}

function isPool(client: Queryable): client is ConnectionPool {
  // pg.Pool has connect() and pool counters; a pg.PoolClient has connect() too but no counters.
  return (
    typeof (client as { connect?: unknown }).connect === 'function' &&
    typeof (client as { totalCount?: unknown }).totalCount === 'number'
  );
}

/**
 * Creates a saga runtime; nothing runs until `start()`.
 *
 * @example
 * ```ts
 * await migrateSagas(pool);
 * const runtime = createSagaRuntime({ pool, kafka, sagas: [OrderSaga], replyTopic: 'order.saga.replies' });
 * await runtime.start();
 * // in a request handler, in the same transaction as the order:
 * const sagaId = await runtime.begin(tx, OrderSaga, { orderId, items, total });
 * ```
 */
export function createSagaRuntime(options: SagaRuntimeOptions): SagaRuntime {
  return new SagaRuntime(options);
}

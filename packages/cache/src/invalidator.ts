/**
 * The CDC side: a consumer of Debezium topics (from `@trackops/cdc`) that applies each change
 * to the caches bound to its table, and lets the consumer commit the change's offset only once
 * Redis has applied it.
 */
import {
  createCdcConsumer,
  cdcConsumerOptionsSchema,
  tableHandler,
  type CdcConsumer,
  type CdcHandler,
  type CdcMessageContext,
  type DecodedRecord,
} from '@trackops/cdc';
import { Lifecycle, parseOptions, silentLogger, TypedEmitter, type Logger } from '@trackops/core';
import { z } from 'zod';
import { changeImages, type CacheBinding } from './binding.js';

function isBinding(value: unknown): value is CacheBinding {
  return (
    typeof value === 'object' && value !== null && (value as CacheBinding).kind === 'cache:binding'
  );
}

/**
 * Options of {@link createCacheInvalidator}: the consumer settings of `@trackops/cdc`'s
 * `createCdcConsumer` (`kafka`, `groupId`, `topicPrefix`, `decoder`, `fromBeginning`,
 * `deadLetter`, `partitionsConsumedConcurrently`, `consumerConfig`, `signal`, `logger`, `onError`, with the
 * same defaults), plus `tables` of cache bindings and a `retry` that never gives up. For low
 * lag, set `consumerConfig.maxWaitTimeInMs` (kafkajs' default is 5000).
 */
export const cacheInvalidatorOptionsSchema = cdcConsumerOptionsSchema
  .pick({
    kafka: true,
    groupId: true,
    topicPrefix: true,
    decoder: true,
    fromBeginning: true,
    partitionsConsumedConcurrently: true,
    consumerConfig: true,
    signal: true,
    logger: true,
    onError: true,
  })
  .extend({
    /**
     * Send a record that does not decode to `<topic>.dlq` and go on (its keys then expire by TTL
     * only); `false` stops its partition at it instead, until the table declaration is fixed.
     * Changes Redis cannot apply are never dead-lettered: they are retried.
     * @defaultValue true
     */
    deadLetter: z.boolean().default(true),
    /**
     * Topic → binding ({@link bindTable} or {@link bindRows}). With `topicPrefix`, keys are
     * `schema.table` and the topic is `<topicPrefix>.<key>`, as Debezium names its topics.
     */
    tables: z
      .record(
        z.string().min(1),
        z.custom<CacheBinding>(isBinding, { message: 'must be bindTable(…) or bindRows(…)' }),
      )
      .refine((tables) => Object.keys(tables).length > 0, 'must name at least one topic'),
    /**
     * Backoff between attempts of a change Redis could not apply. A change is retried until it
     * is applied — never skipped, since a skipped invalidation leaves a stale entry — while its
     * partition waits and its offset stays uncommitted. @defaultValue `{}`
     */
    retry: z
      .object({
        /** First delay. @defaultValue 100 */
        initialMs: z.int().min(0).default(100),
        /** Longest delay (doubling, with jitter). @defaultValue 1000 */
        maxMs: z.int().min(1).default(1_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** Options of {@link createCacheInvalidator}, as given. */
export type CacheInvalidatorOptions = z.input<typeof cacheInvalidatorOptionsSchema>;

/** Instrumentation events of the invalidator. */
export interface CacheInvalidatorEvents {
  [event: string]: unknown;
  /**
   * A change was applied to every cache bound to its table (its offset may now be committed).
   * `keys` lists the keys touched (`#tag` for tags); `lagMs` is now − the commit time in the
   * database (`source.ts_ms`), across the database's and this machine's clocks.
   */
  'cache:change:applied': {
    topic: string;
    partition: number;
    offset: string;
    op: 'c' | 'u' | 'd' | 'r' | 't';
    keys: readonly string[];
    lagMs: number;
  };
}

type Resolved = z.output<typeof cacheInvalidatorOptionsSchema>;

/**
 * Applies Debezium change events to caches: warms or invalidates the entries bound to each
 * changed row (including derived keys), and clears the bound caches on TRUNCATE.
 *
 * Guarantees:
 * - **Applied before committed.** A change's offset is committed only after Redis applied it
 *   for every target. While Redis is unreachable the change is retried with backoff (its
 *   partition waits); the invalidations missed meanwhile are applied when Redis returns.
 * - **Order per row.** Debezium keys records by primary key, so one row's changes are applied
 *   in commit order; warming is also version-guarded, so a redelivered older change (after a
 *   crash or rebalance) cannot overwrite a newer entry.
 * - **Undecodable records** are dead-lettered by the CDC consumer (`<topic>.dlq`) and their
 *   keys are not invalidated: they expire by TTL. Keep table declarations in step with the
 *   schema, or set `deadLetter: false` to stop the partition at such a record instead.
 */
export class CacheInvalidator {
  /** The underlying CDC consumer (for its `cdc:*` events and lag). */
  readonly consumer: CdcConsumer;
  private readonly options: Resolved;
  private readonly logger: Logger;
  private readonly events: TypedEmitter<CacheInvalidatorEvents>;
  private readonly lifecycle = new Lifecycle('cache invalidator', {
    start: () => this.consumer.start(),
    stop: () => this.consumer.stop(),
  });

  constructor(options: CacheInvalidatorOptions) {
    this.options = parseOptions(cacheInvalidatorOptionsSchema, options, 'createCacheInvalidator');
    this.logger = this.options.logger ?? silentLogger;
    this.events = new TypedEmitter((error, event) =>
      this.logger.warn({ err: error, event }, 'cache invalidator listener threw'),
    );
    const tables = Object.fromEntries(
      Object.entries(this.options.tables).map(([topic, binding]) => [
        topic,
        this.handlerOf(binding),
      ]),
    );
    this.consumer = createCdcConsumer({
      kafka: this.options.kafka,
      groupId: this.options.groupId,
      tables,
      topicPrefix: this.options.topicPrefix,
      decoder: this.options.decoder,
      // Never give up on a change: a skipped invalidation is a stale entry until its TTL.
      retry: {
        attempts: Number.MAX_SAFE_INTEGER,
        initialMs: this.options.retry.initialMs,
        maxMs: this.options.retry.maxMs,
      },
      fromBeginning: this.options.fromBeginning,
      deadLetter: this.options.deadLetter,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently,
      consumerConfig: this.options.consumerConfig,
      signal: this.options.signal,
      logger: this.options.logger,
      onError: this.options.onError,
    });
    this.consumer.on('cdc:failed', ({ error, topic, offset, attempt }) => {
      this.logger.warn({ err: error, topic, offset, attempt }, 'cache change not applied yet');
      try {
        this.options.onError?.(error);
      } catch (hookError) {
        this.logger.warn({ err: hookError }, 'cache invalidator onError hook threw');
      }
    });
  }

  /** Subscribes to an instrumentation event; returns the unsubscribe function. */
  on<K extends keyof CacheInvalidatorEvents>(
    event: K,
    listener: (payload: CacheInvalidatorEvents[K]) => void,
  ): () => void {
    return this.events.on(event, listener);
  }

  /** Connects and starts applying changes. Idempotent. */
  start(): Promise<void> {
    return this.lifecycle.start();
  }

  /** Finishes the change in hand, commits applied offsets, disconnects. Idempotent. */
  stop(): Promise<void> {
    return this.lifecycle.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private handlerOf(binding: CacheBinding): ReturnType<typeof tableHandler> | CdcHandler {
    const handle = (event: DecodedRecord<unknown, unknown>, context: CdcMessageContext) =>
      this.apply(binding, event, context);
    return binding.table === undefined
      ? (event, context) => handle(event, context)
      : tableHandler(binding.table, handle);
  }

  private async apply(
    binding: CacheBinding,
    event: DecodedRecord<unknown, unknown>,
    context: CdcMessageContext,
  ): Promise<void> {
    if (event.kind !== 'change') return;
    const change = changeImages(event);
    const keys: string[] = [];
    if (change === 'truncate') {
      for (const target of binding.targets) await target.clear(event.source.lsn);
    } else {
      // Every target's script is sent at once: on one ioredis connection they are pipelined (each
      // target's first script reaches Redis in target order), one round trip, not one per target. A failure
      // retries the whole change; every step is idempotent (invalidating twice, or warming at
      // the same version, changes nothing).
      const touched = await Promise.all(binding.targets.map((target) => target.apply(change)));
      for (const list of touched) keys.push(...list);
    }
    this.events.emit('cache:change:applied', () => ({
      topic: context.topic,
      partition: context.partition,
      offset: context.offset,
      op: event.op,
      keys,
      lagMs: Date.now() - event.source.tsMs,
    }));
  }
}

/**
 * Creates a cache invalidator (not started); options are validated now. See
 * {@link CacheInvalidator} for its guarantees.
 *
 * @example
 * ```ts
 * const invalidator = createCacheInvalidator({
 *   kafka,
 *   groupId: 'order-service-cache',
 *   topicPrefix: 'trackops_orders',
 *   tables: {
 *     'public.orders': bindTable(ordersTable, [
 *       warmEntries(orders, { key: (row) => String(row.id), value: toOrder }),
 *       invalidateEntries(orderPages, { keys: () => 'all' }),
 *     ]),
 *     'public.order_items': bindTable(itemsTable, [
 *       invalidateEntries(orderItems, { keys: (item) => String(item.order_id) }),
 *     ]),
 *   },
 *   consumerConfig: { maxWaitTimeInMs: 100 },
 * });
 * await invalidator.start();
 * ```
 */
export function createCacheInvalidator(options: CacheInvalidatorOptions): CacheInvalidator {
  return new CacheInvalidator(options);
}

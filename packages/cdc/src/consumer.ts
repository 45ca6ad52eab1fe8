import {
  backoffDelay,
  deadLetterRecordHeaders,
  deadLetterTopic,
  Lifecycle,
  optionTypes,
  parseOptions,
  silentLogger,
  TypedEmitter,
  type Logger,
  messageRetryBackoff,
  messageRetrySchema,
} from '@trackops/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { consumerLag, type ConsumerLag } from './consumerLag.js';
import { createDecoder, decoderOptionsSchema, type Decoder } from './decoder.js';
import type { DecodedRecord, UntypedRow } from './events.js';
import {
  kafkaOption,
  type Consumer,
  type EachBatchPayload,
  type KafkaConsumerConfig,
  type KafkaMessage,
  type Producer,
} from './kafkaTypes.js';
import type { Table } from './table.js';

/** Where a record came from, passed to handlers next to the decoded event. */
export interface CdcMessageContext {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** The record's timestamp (ms since the epoch, as kafkajs gives it). */
  readonly timestamp: string;
  /** The raw key bytes. */
  readonly key: Buffer | null;
  /** This delivery's attempt, from 1. */
  readonly attempt: number;
}

/**
 * Handles the events of one topic. Throwing (or rejecting) fails the attempt: the record is
 * retried with backoff and then dead-lettered; later records of its partition wait meanwhile.
 *
 * @typeParam Row - The decoded row ({@link UntypedRow} without a table declaration).
 * @typeParam Key - The decoded key.
 */
export type CdcHandler<Row = UntypedRow, Key = UntypedRow> = (
  event: DecodedRecord<Row, Key>,
  context: CdcMessageContext,
) => Promise<void> | void;

/** A handler bound to a declared table by {@link tableHandler}; its rows are typed. */
export interface CdcTableHandler {
  /** Brand recognised by {@link createCdcConsumer}. */
  readonly kind: 'cdc:table-handler';
  /** The table the topic carries; records are decoded and validated as it declares. */
  readonly table: Table<unknown, unknown>;
  /** The handler, with the table's types erased. */
  readonly handle: CdcHandler<unknown, unknown>;
}

/**
 * Binds a handler to a table declared with {@link defineTable}, so its events carry typed,
 * validated `before`/`after` (a row that does not fit the declaration is a
 * {@link DebeziumDecodeError} and is dead-lettered like a handler failure).
 *
 * @example
 * ```ts
 * createCdcConsumer({
 *   kafka, groupId: 'parcels-projection',
 *   tables: {
 *     'shop.public.parcels': tableHandler(parcels, async (event) => {
 *       if (event.kind === 'change' && event.op === 'c') await index(event.after.label);
 *     }),
 *   },
 * });
 * ```
 */
export function tableHandler<Row, Key>(
  table: Table<Row, Key>,
  handler: CdcHandler<Row, Key>,
): CdcTableHandler {
  return {
    kind: 'cdc:table-handler',
    table,
    // The consumer decodes with this same table, so the event has exactly these types.
    handle: (event, context) => handler(event as DecodedRecord<Row, Key>, context),
  };
}

function isTableHandler(value: unknown): value is CdcTableHandler {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as CdcTableHandler).kind === 'cdc:table-handler'
  );
}

const skipOrHandle = z.union([z.literal('skip'), z.literal('handle')]);

/** Options of {@link createCdcConsumer}. */
export const cdcConsumerOptionsSchema = z
  .object({
    /** The kafkajs client; the consumer creates its own consumer (and a producer for dead letters). */
    kafka: kafkaOption(),
    /** The consumer group; committed offsets and {@link consumerLag} belong to it. */
    groupId: z.string().min(1),
    /**
     * Topic → handler: a function (untyped rows) or a {@link tableHandler} (typed rows). With
     * `topicPrefix`, keys are `schema.table` and the topic is `<topicPrefix>.<key>`, as Debezium
     * names its topics.
     */
    tables: z
      .record(
        z.string().min(1),
        z.union([
          z.custom<CdcTableHandler>(isTableHandler, {
            message: 'must be a function or a tableHandler(table, handler)',
          }),
          optionTypes.fn<CdcHandler>(),
        ]),
      )
      .refine((tables) => Object.keys(tables).length > 0, 'must name at least one topic'),
    /** The connector's `topic.prefix`, prepended to the keys of `tables`. */
    topicPrefix: z.string().min(1).optional(),
    /** How records are decoded (see {@link createDecoder}). @defaultValue `{}` */
    decoder: decoderOptionsSchema.prefault({}),
    /** Retries of a failing message (see `messageRetrySchema`). */
    retry: messageRetrySchema.prefault({}),
    /**
     * Send a record that still fails (handler error or {@link DebeziumDecodeError}) to
     * `<topic>.dlq` with its context, and go on. `false` fails the batch instead: kafkajs
     * restarts the consumer and the record is delivered again, blocking its partition.
     * @defaultValue true
     */
    deadLetter: z.boolean().default(true),
    /** A new group reads its partitions from the start. @defaultValue false */
    fromBeginning: z.boolean().default(false),
    /**
     * Kafka tombstones (the null value after a delete): `skip` commits them without calling the
     * handler; `handle` passes them as `kind: 'tombstone'` events.
     * @defaultValue `'skip'`
     */
    tombstones: skipOrHandle.default('skip'),
    /**
     * Heartbeat records (when a `__debezium-heartbeat.*` topic is listed in `tables`).
     * @defaultValue `'skip'`
     */
    heartbeats: skipOrHandle.default('skip'),
    /**
     * Partitions handled at once. Records of one partition (hence of one key) are always handled
     * one at a time, in order. @defaultValue 1
     */
    partitionsConsumedConcurrently: z.int().min(1).default(1),
    /** Emit `cdc:lag` every this many ms (0: never; call {@link CdcConsumer.lag} instead). @defaultValue 0 */
    lagIntervalMs: z.int().min(0).default(0),
    /** Further kafkajs consumer settings (`sessionTimeout`, `maxWaitTimeInMs`, …). */
    consumerConfig: z
      .custom<KafkaConsumerConfig>((value) => typeof value === 'object' && value !== null, {
        message: 'must be a kafkajs consumer config object',
      })
      .optional(),
    /** Stops the consumer when aborted. */
    signal: optionTypes.signal().optional(),
    logger: optionTypes.logger().optional(),
    /** Background failures: a dead letter that could not be written, a consumer crash, a lag poll. */
    onError: optionTypes.fn<(error: Error) => void>().optional(),
  })
  .strict();

/** Options of {@link createCdcConsumer}, as given. */
export type CdcConsumerOptions = z.input<typeof cdcConsumerOptionsSchema>;

/** Instrumentation events of the CDC consumer. */
export interface CdcConsumerEvents {
  [event: string]: unknown;
  /** A record was handled (or skipped: a tombstone or heartbeat with `skip`). */
  'cdc:processed': {
    topic: string;
    partition: number;
    offset: string;
    kind: DecodedRecord['kind'];
    skipped: boolean;
    attempts: number;
  };
  /** An attempt failed; `willRetry` false means it is dead-lettered (or the batch fails) next. */
  'cdc:failed': {
    topic: string;
    partition: number;
    offset: string;
    error: Error;
    attempt: number;
    willRetry: boolean;
  };
  /** A record went to its dead-letter topic. */
  'cdc:dead-lettered': {
    topic: string;
    partition: number;
    offset: string;
    deadLetterTopic: string;
    error: Error;
    attempts: number;
  };
  /** The group's lag, every `lagIntervalMs`. */
  'cdc:lag': ConsumerLag;
}

type Resolved = z.output<typeof cdcConsumerOptionsSchema>;

/** The outcome of one record: done (resolve its offset) or handed back (stop requested). */
type Outcome = 'done' | 'abandoned';

type HandlerEntry = CdcHandler | CdcTableHandler;

/** An attempt whose handler returned a promise. */
interface Pending {
  readonly pending: PromiseLike<void>;
  readonly event: DecodedRecord<unknown, unknown>;
  readonly skipped: boolean;
}

/** An attempt that threw (decoding or the handler, synchronously). */
interface Failed {
  readonly failed: unknown;
}

function isPromiseLike(value: unknown): value is PromiseLike<void> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Thrown inside a retry's backoff when `stop()` asks to hand the record back. */
const stopRequested = Symbol('stop requested');

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * A consumer of Debezium topics: decodes each record (typed for tables bound with
 * {@link tableHandler}), calls its topic's handler, retries failures with backoff and then
 * dead-letters them to `<topic>.dlq` with their context.
 *
 * Guarantees:
 * - **Order per key.** A partition's records are handled one at a time, in order; a failing
 *   record blocks the rest of its partition until it succeeds or is dead-lettered.
 * - **At least once.** An offset is resolved only after its record succeeded, was skipped or was
 *   dead-lettered; kafkajs commits resolved offsets after each batch, on errors and on stop. After
 *   a crash, the records handled since the last commit are delivered again.
 * - **Graceful stop.** `stop()` lets the handler in hand finish, hands back a record waiting for
 *   a retry (uncommitted, so it is redelivered), commits and disconnects.
 */
export class CdcConsumer {
  private readonly options: Resolved;
  private readonly logger: Logger;
  private readonly events: TypedEmitter<CdcConsumerEvents>;
  private readonly decoder: Decoder;
  private readonly handlers: ReadonlyMap<string, CdcHandler | CdcTableHandler>;
  private readonly stopping = new AbortController();
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private lagTimer: NodeJS.Timeout | undefined;
  private readonly lifecycle = new Lifecycle('CDC consumer', {
    start: () => this.doStart(),
    stop: () => this.doStop(),
  });

  constructor(options: CdcConsumerOptions) {
    this.options = parseOptions(cdcConsumerOptionsSchema, options, 'createCdcConsumer');
    this.logger = this.options.logger ?? silentLogger;
    this.events = new TypedEmitter((error, event) =>
      this.logger.warn({ err: error, event }, 'CDC consumer listener threw'),
    );
    this.decoder = createDecoder(this.options.decoder);
    const prefix = this.options.topicPrefix;
    this.handlers = new Map(
      Object.entries(this.options.tables).map(([key, handler]) => [
        prefix === undefined ? key : `${prefix}.${key}`,
        handler,
      ]),
    );
    this.lifecycle.stopOn(this.options.signal);
  }

  /** The topics consumed. */
  get topics(): readonly string[] {
    return [...this.handlers.keys()];
  }

  /** Subscribes to an instrumentation event; returns the unsubscribe function. */
  on<K extends keyof CdcConsumerEvents>(
    event: K,
    listener: (payload: CdcConsumerEvents[K]) => void,
  ): () => void {
    return this.events.on(event, listener);
  }

  /** Connects, subscribes and starts consuming. Idempotent. */
  start(): Promise<void> {
    return this.lifecycle.start();
  }

  /** Finishes the record in hand, commits resolved offsets, disconnects. Idempotent. */
  stop(): Promise<void> {
    return this.lifecycle.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** The group's current lag on its topics (see {@link consumerLag}). */
  lag(): Promise<ConsumerLag> {
    return consumerLag(this.options.kafka, this.options.groupId, this.topics);
  }

  private reportError(error: Error, message: string): void {
    this.logger.error({ err: error, groupId: this.options.groupId }, message);
    try {
      this.options.onError?.(error);
    } catch (hookError) {
      this.logger.warn({ err: hookError }, 'CDC consumer onError hook threw');
    }
  }

  private async doStart(): Promise<void> {
    const { kafka, groupId, fromBeginning, partitionsConsumedConcurrently } = this.options;
    if (this.options.deadLetter) {
      this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await this.producer.connect();
    }
    const consumer = kafka.consumer({ ...this.options.consumerConfig, groupId });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, (event) => {
      this.reportError(asError(event.payload.error), 'CDC consumer crashed');
    });
    await consumer.connect();
    await consumer.subscribe({ topics: this.topics.slice(), fromBeginning });
    await consumer.run({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently,
      eachBatch: (payload) => this.eachBatch(payload),
    });
    if (this.options.lagIntervalMs > 0) {
      this.lagTimer = setInterval(() => void this.emitLag(), this.options.lagIntervalMs);
      this.lagTimer.unref();
    }
  }

  private async doStop(): Promise<void> {
    // Reverse order of acquisition: the lag timer, the consumer (which waits for the batch in
    // hand and commits what it resolved), then the dead-letter producer it may still use.
    clearInterval(this.lagTimer);
    this.stopping.abort();
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }

  private async emitLag(): Promise<void> {
    if (!this.events.has('cdc:lag')) return;
    try {
      this.events.emit('cdc:lag', await this.lag());
    } catch (error) {
      this.reportError(asError(error), 'CDC consumer lag poll failed');
    }
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { topic, partition } = batch;
    const entry = this.handlers.get(topic);
    // Only subscribed topics are delivered; a missing entry would be a bug here.
    if (entry === undefined) throw new Error(`no handler for topic ${topic}`);
    for (const message of batch.messages) {
      if (!payload.isRunning() || payload.isStale() || this.stopping.signal.aborted) return;
      // The first attempt runs synchronously up to the handler: a handler that returns no
      // promise costs no await here (decoding is synchronous). Anything else — a promise, a
      // failure — continues in `process`, which owns retries and dead letters.
      const first = this.attempt(entry, topic, partition, message, 1);
      if (first !== 'done') {
        const outcome = await this.process(topic, partition, message, payload, entry, first);
        if (outcome === 'abandoned') return;
      }
      payload.resolveOffset(message.offset);
      await payload.heartbeat();
    }
  }

  /**
   * One attempt: decode, hand to the handler, report `cdc:processed`. Returns `'done'` when it
   * finished synchronously, the handler's promise when it returned one (not yet reported), or
   * the error it threw.
   */
  private attempt(
    entry: HandlerEntry,
    topic: string,
    partition: number,
    message: KafkaMessage,
    attempt: number,
  ): 'done' | Pending | Failed {
    let event: DecodedRecord<unknown, unknown>;
    let skipped: boolean;
    let result: Promise<void> | void = undefined;
    try {
      const record = { topic, key: message.key, value: message.value, headers: message.headers };
      event = isTableHandler(entry)
        ? this.decoder.decode(record, entry.table)
        : this.decoder.decode(record);
      skipped =
        (event.kind === 'tombstone' && this.options.tombstones === 'skip') ||
        (event.kind === 'heartbeat' && this.options.heartbeats === 'skip');
      if (!skipped) {
        const context: CdcMessageContext = {
          topic,
          partition,
          offset: message.offset,
          timestamp: message.timestamp,
          key: message.key,
          attempt,
        };
        result = isTableHandler(entry)
          ? entry.handle(event, context)
          : entry(event as DecodedRecord, context);
      }
    } catch (caught) {
      return { failed: caught };
    }
    if (isPromiseLike(result)) return { pending: result, event, skipped };
    this.processed(topic, partition, message, event, skipped, attempt);
    return 'done';
  }

  private processed(
    topic: string,
    partition: number,
    message: KafkaMessage,
    event: DecodedRecord<unknown, unknown>,
    skipped: boolean,
    attempts: number,
  ): void {
    if (!this.events.has('cdc:processed')) return;
    this.events.emit('cdc:processed', {
      topic,
      partition,
      offset: message.offset,
      kind: event.kind,
      skipped,
      attempts,
    });
  }

  private async process(
    topic: string,
    partition: number,
    message: KafkaMessage,
    payload: EachBatchPayload,
    entry: HandlerEntry,
    first: Pending | Failed,
  ): Promise<Outcome> {
    const { retry } = this.options;
    let pending: Pending | Failed = first;
    for (let attempt = 1; ; attempt++) {
      try {
        if (attempt > 1) {
          const next = this.attempt(entry, topic, partition, message, attempt);
          if (next === 'done') return 'done';
          pending = next;
        }
        if ('failed' in pending) throw pending.failed;
        await pending.pending;
        this.processed(topic, partition, message, pending.event, pending.skipped, attempt);
        return 'done';
      } catch (caught) {
        const error = asError(caught);
        // A decode error fails the same way every time: dead-letter it without retrying.
        const retriable = error.name !== 'DebeziumDecodeError';
        const stopping = this.stopping.signal.aborted;
        const willRetry = retriable && !stopping && attempt < retry.attempts;
        this.events.emit('cdc:failed', () => ({
          topic,
          partition,
          offset: message.offset,
          error,
          attempt,
          willRetry,
        }));
        this.logger.warn(
          { err: error, topic, partition, offset: message.offset, attempt },
          'CDC handler failed',
        );
        // Stopping: hand the record back uncommitted rather than dead-letter it early.
        if (stopping && retriable) return 'abandoned';
        if (willRetry) {
          const delay = backoffDelay(messageRetryBackoff(retry), attempt);
          if ((await this.wait(delay, payload)) === stopRequested) return 'abandoned';
          continue;
        }
        if (!this.producer) {
          this.reportError(error, 'CDC record failed; dead letters are off, failing the batch');
          throw error;
        }
        await this.deadLetter(topic, partition, message, error, attempt);
        return 'done';
      }
    }
  }

  /** Waits `ms`, heartbeating so a long backoff does not cost the group its partitions. */
  private async wait(ms: number, payload: EachBatchPayload): Promise<void | typeof stopRequested> {
    const deadline = Date.now() + ms;
    for (let left = ms; left > 0; left = deadline - Date.now()) {
      try {
        await sleep(Math.min(left, 1000), undefined, { signal: this.stopping.signal });
      } catch {
        return stopRequested;
      }
      await payload.heartbeat();
    }
  }

  private async deadLetter(
    topic: string,
    partition: number,
    message: KafkaMessage,
    error: Error,
    attempts: number,
  ): Promise<void> {
    const target = deadLetterTopic(topic);
    const original: Record<string, Buffer | string | undefined> = {};
    for (const [name, value] of Object.entries(message.headers ?? {}))
      original[name] = Array.isArray(value) ? value.at(-1) : value;
    try {
      await this.producer!.send({
        topic: target,
        acks: -1,
        messages: [
          {
            key: message.key,
            value: message.value,
            headers: deadLetterRecordHeaders(original, {
              topic,
              partition,
              offset: message.offset,
              timestamp: message.timestamp,
              consumerGroup: this.options.groupId,
              error,
              attempts,
            }),
          },
        ],
      });
    } catch (sendError) {
      // Not resolved: the batch fails and kafkajs delivers the record again.
      this.reportError(asError(sendError), `could not dead-letter a record to ${target}`);
      throw sendError;
    }
    this.logger.error(
      { err: error, topic, partition, offset: message.offset, deadLetterTopic: target },
      'CDC record dead-lettered',
    );
    this.events.emit('cdc:dead-lettered', () => ({
      topic,
      partition,
      offset: message.offset,
      deadLetterTopic: target,
      error,
      attempts,
    }));
  }
}

/**
 * Creates a CDC consumer (not started); options are validated now. See {@link CdcConsumer} for
 * its ordering, delivery and stop guarantees.
 *
 * @example
 * ```ts
 * const consumer = createCdcConsumer({
 *   kafka,
 *   groupId: 'search-indexer',
 *   topicPrefix: 'shop',
 *   tables: {
 *     'public.parcels': tableHandler(parcels, async (event) => {
 *       if (event.kind !== 'change') return;
 *       if (event.op === 'd') await unindex(event.before.id);
 *       else if (event.op !== 't') await index(event.after);
 *     }),
 *   },
 *   retry: { attempts: 5 },
 * });
 * consumer.on('cdc:dead-lettered', ({ topic, offset, error }) => alert(topic, offset, error));
 * await consumer.start();
 * // …
 * await consumer.stop();
 * ```
 */
export function createCdcConsumer(options: CdcConsumerOptions): CdcConsumer {
  return new CdcConsumer(options);
}

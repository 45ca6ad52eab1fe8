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
  type Queryable,
  messageRetryBackoff,
  messageRetrySchema,
} from '@trackops/core';
import type { Consumer, EachBatchPayload, KafkaMessage, Producer } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { inbox, inboxTableSchema } from './inbox.js';

/** A message as an inbox handler receives it. */
export interface InboxMessage {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Header values as text (the last value of a repeated header). */
  headers: Record<string, string>;
  /** The inbox key: the `id` header, else `topic:partition:offset`. */
  messageId: string;
}

/** Options of {@link createInboxConsumer}. */
export const inboxConsumerOptionsSchema = z
  .object({
    /** The kafkajs client; the runner creates its consumer (and a producer for dead letters). */
    kafka: optionTypes.kafka(),
    /** The pool of the database whose inbox table records processed messages. */
    pool: optionTypes.pool(),
    groupId: z.string().min(1),
    topics: z.array(z.string().min(1)).min(1),
    /** Called once per message, inside the inbox transaction (`tx`). */
    handler: optionTypes.fn<(message: InboxMessage, tx: Queryable) => Promise<void>>(),
    /**
     * Partitions processed at once (kafkajs `partitionsConsumedConcurrently`); order holds
     * within a partition, so within a key. @defaultValue 1
     */
    partitionsConsumedConcurrently: z.int().min(1).max(64).default(1),
    /** The inbox's consumer name. @defaultValue the group id */
    consumerName: z.string().min(1).optional(),
    /** The inbox table. @defaultValue `public.inbox` */
    inboxTable: inboxTableSchema.prefault({}),
    /** Read new groups' partitions from the start. @defaultValue false */
    fromBeginning: z.boolean().default(false),
    /** Retries of a failing message (see `messageRetrySchema`). */
    retry: messageRetrySchema.prefault({}),
    /**
     * Send messages that still fail to `<topic>.dlq` (with their context) and go on. `false`
     * stops the batch instead: kafkajs restarts the consumer and the message is redelivered.
     * @defaultValue true
     */
    deadLetter: z.boolean().default(true),
    signal: optionTypes.signal().optional(),
    logger: optionTypes.logger().optional(),
  })
  .strict();

export type InboxConsumerOptions = z.input<typeof inboxConsumerOptionsSchema>;

/** Instrumentation events of the inbox consumer. */
export interface InboxConsumerEvents {
  [event: string]: unknown;
  'inbox:processed': { messageId: string; topic: string; duplicate: boolean };
  'inbox:failed': { messageId: string; topic: string; error: Error; attempt: number };
  'inbox:dead-lettered': {
    messageId: string;
    topic: string;
    deadLetterTopic: string;
    error: Error;
  };
}

function headersOf(message: KafkaMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) headers[name] = last.toString();
  }
  return headers;
}

/**
 * A Kafka consumer whose handler runs through the {@link inbox}: each message's effects and its
 * inbox row commit together, so redeliveries (after a crash, a rebalance or a producer retry)
 * apply nothing twice. Consumes with `eachBatch`, heartbeats between messages, resolves an
 * offset only after its transaction committed (kafkajs commits resolved offsets after each
 * batch and on stop), retries a failing message with backoff and then dead-letters it.
 */
export class InboxConsumer {
  private readonly options: z.output<typeof inboxConsumerOptionsSchema>;
  private readonly logger: Logger;
  private readonly events: TypedEmitter<InboxConsumerEvents>;
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private readonly lifecycle = new Lifecycle('inbox consumer', {
    start: () => this.doStart(),
    stop: async () => {
      await this.consumer?.disconnect();
      await this.producer?.disconnect();
    },
  });

  constructor(options: InboxConsumerOptions) {
    this.options = parseOptions(inboxConsumerOptionsSchema, options, 'createInboxConsumer');
    this.logger = this.options.logger ?? silentLogger;
    this.events = new TypedEmitter((error, event) =>
      this.logger.warn({ err: error, event }, 'inbox listener threw'),
    );
    this.lifecycle.stopOn(this.options.signal);
  }

  /** Subscribes to an instrumentation event; returns the unsubscribe function. */
  on<K extends keyof InboxConsumerEvents>(
    event: K,
    listener: (payload: InboxConsumerEvents[K]) => void,
  ): () => void {
    return this.events.on(event, listener);
  }

  /** Connects, subscribes and starts consuming. Idempotent. */
  start(): Promise<void> {
    return this.lifecycle.start();
  }

  private async doStart(): Promise<void> {
    const { kafka, groupId, topics, fromBeginning } = this.options;
    if (this.options.deadLetter) {
      this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await this.producer.connect();
    }
    const consumer = kafka.consumer({ groupId });
    this.consumer = consumer;
    await consumer.connect();
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning });
    await consumer.run({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  /** Finishes the message in hand, commits resolved offsets, disconnects. Idempotent. */
  stop(): Promise<void> {
    return this.lifecycle.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    for (const message of batch.messages) {
      if (!payload.isRunning() || payload.isStale()) return;
      await this.process(batch.topic, batch.partition, message);
      payload.resolveOffset(message.offset);
      await payload.heartbeat();
    }
  }

  private async process(topic: string, partition: number, raw: KafkaMessage): Promise<void> {
    const headers = headersOf(raw);
    const message: InboxMessage = {
      topic,
      partition,
      offset: raw.offset,
      timestamp: raw.timestamp,
      key: raw.key,
      value: raw.value,
      headers,
      messageId: headers['id'] ?? `${topic}:${partition}:${raw.offset}`,
    };
    const { retry, pool, inboxTable, groupId } = this.options;
    const consumer = this.options.consumerName ?? groupId;
    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await inbox(
          pool,
          { consumer, messageId: message.messageId },
          (tx) => this.options.handler(message, tx),
          inboxTable,
        );
        this.events.emit('inbox:processed', {
          messageId: message.messageId,
          topic,
          duplicate: outcome.duplicate,
        });
        return;
      } catch (error) {
        this.events.emit('inbox:failed', () => ({
          messageId: message.messageId,
          topic,
          error: error as Error,
          attempt,
        }));
        this.logger.warn(
          { err: error, messageId: message.messageId, topic, attempt },
          'inbox handler failed',
        );
        if (attempt < retry.attempts) {
          await sleep(backoffDelay(messageRetryBackoff(retry), attempt));
          continue;
        }
        if (!this.producer) throw error;
        await this.deadLetter(message, raw, error as Error, attempt);
        return;
      }
    }
  }

  private async deadLetter(
    message: InboxMessage,
    raw: KafkaMessage,
    error: Error,
    attempts: number,
  ): Promise<void> {
    const target = deadLetterTopic(message.topic);
    const original: Record<string, Buffer | string | undefined> = {};
    for (const [name, value] of Object.entries(raw.headers ?? {}))
      original[name] = Array.isArray(value) ? value[value.length - 1] : value;
    await this.producer!.send({
      topic: target,
      acks: -1,
      messages: [
        {
          key: raw.key,
          value: raw.value,
          headers: deadLetterRecordHeaders(original, {
            topic: message.topic,
            partition: message.partition,
            offset: message.offset,
            timestamp: message.timestamp,
            consumerGroup: this.options.groupId,
            error,
            attempts,
          }),
        },
      ],
    });
    this.logger.error(
      { err: error, messageId: message.messageId, topic: message.topic, deadLetterTopic: target },
      'inbox message dead-lettered',
    );
    this.events.emit('inbox:dead-lettered', () => ({
      messageId: message.messageId,
      topic: message.topic,
      deadLetterTopic: target,
      error,
    }));
  }
}

/**
 * Creates an inbox consumer (not started); options are validated now.
 *
 * @example
 * ```ts
 * const consumer = createInboxConsumer({
 *   kafka, pool, groupId: 'inventory', topics: ['ORDER_CREATED'],
 *   handler: async (message, tx) => {
 *     const order = OrderCreated.parse(JSON.parse(message.value!.toString()));
 *     await tx.query('insert into reservations …', [order.orderId]);
 *   },
 * });
 * await consumer.start();
 * ```
 */
export function createInboxConsumer(options: InboxConsumerOptions): InboxConsumer {
  return new InboxConsumer(options);
}

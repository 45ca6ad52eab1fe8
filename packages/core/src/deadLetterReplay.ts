import type {
  Admin as KafkaAdmin,
  EachBatchPayload,
  IHeaders as KafkaHeaders,
  KafkaMessage,
} from 'kafkajs';
import { z } from 'zod';
import { deadLetterHeaders } from './deadLetter.js';
import { TrackOpsError } from './errors.js';
import { silentLogger } from './logger.js';
import { optionTypes, parseOptions } from './options.js';

// Every TrackOps consumer dead-letters with the same context headers (deadLetter.ts), so one
// replay serves the outbox's inbox consumer, the CDC consumer and the saga runtime alike.

/** The header a replayed record carries: `<dlq topic>:<partition>:<offset>` it came from. */
export const replayedFromHeader = 'dlq-replayed-from';

/** A dead letter as {@link replayDeadLetters}' filter sees it. */
export interface DeadLetterRecord {
  /** The dead-letter topic's partition and offset. */
  readonly partition: number;
  readonly offset: string;
  /** The original topic (header `dlq-original-topic`); undefined when the header is missing. */
  readonly originalTopic: string | undefined;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** All headers as text (the last value of a repeated header), context headers included. */
  readonly headers: Readonly<Record<string, string>>;
}

/** A record {@link replayDeadLetters} republished. */
export interface ReplayedRecord {
  /** Where it was in the dead-letter topic. */
  readonly partition: number;
  readonly offset: string;
  /** The topic it was republished to. */
  readonly topic: string;
  readonly key: Buffer | null;
}

/** What {@link replayDeadLetters} did. */
export interface ReplayResult {
  /** The records republished, in the order read. */
  readonly replayed: readonly ReplayedRecord[];
  /** Records passed over: rejected by the filter, or without a `dlq-original-topic` header. */
  readonly skipped: number;
}

/** Options of {@link replayDeadLetters}. */
export const replayDeadLettersOptionsSchema = z
  .object({
    /** The kafkajs client. */
    kafka: optionTypes.kafka(),
    /** The dead-letter topic to replay, e.g. `shop.public.parcels.dlq` or `inventory.commands.dlq`. */
    dlqTopic: z.string().min(1),
    /**
     * The group whose committed offsets record the replay's progress: a second replay with the
     * same group starts after the records the first one read. @defaultValue `<dlqTopic>.replay`
     */
    groupId: z.string().min(1).optional(),
    /**
     * Which dead letters to republish. Records it rejects are passed over, and the group's
     * offset moves past them too (Kafka offsets have no holes): replay them later with another
     * `groupId`. @defaultValue every record
     */
    filter: optionTypes.fn<(record: DeadLetterRecord) => boolean>().optional(),
    /** Republish at most this many records, then stop (the rest stay for the next replay). */
    limit: z.int().min(1).optional(),
    /** Give up (rejecting) when the replay has not reached the end within this time. @defaultValue 60000 */
    timeoutMs: z.int().min(1).default(60_000),
    logger: optionTypes.logger().optional(),
  })
  .strict();

/** Options of {@link replayDeadLetters}, as given. */
export type ReplayDeadLettersOptions = z.input<typeof replayDeadLettersOptionsSchema>;

function textHeaders(headers: KafkaHeaders | undefined): Record<string, string> {
  const text: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last: unknown = Array.isArray(value) ? value.at(-1) : value;
    if (typeof last === 'string' || Buffer.isBuffer(last)) text[name] = last.toString();
  }
  return text;
}

/**
 * The headers a replayed record is published with: the original record's, that is the dead
 * letter's without the context the consumer added (`dlq-…` and Spring's `kafka_dlt-…`), plus
 * `dlq-replayed-from`. A record that fails again is dead-lettered with fresh context.
 *
 * @param headers - The dead letter's headers, as kafkajs gives them.
 * @param replayedFrom - The value of {@link replayedFromHeader}.
 */
export function replayHeaders(
  headers: KafkaHeaders | undefined,
  replayedFrom: string,
): KafkaHeaders {
  const kept: KafkaHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined || name.startsWith('dlq-') || name.startsWith('kafka_dlt-')) continue;
    kept[name] = value;
  }
  kept[replayedFromHeader] = replayedFrom;
  return kept;
}

/** Offsets per partition: where the group is, and the end to reach. */
interface Progress {
  next: bigint;
  end: bigint;
}

async function progressOf(
  admin: KafkaAdmin,
  groupId: string,
  topic: string,
): Promise<Map<number, Progress>> {
  const ends = await admin.fetchTopicOffsets(topic);
  const committed = (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions ?? [];
  const progress = new Map<number, Progress>();
  for (const end of ends) {
    const offset = committed.find((entry) => entry.partition === end.partition)?.offset;
    const next = offset === undefined || offset === '-1' ? BigInt(end.low) : BigInt(offset);
    if (next < BigInt(end.high)) progress.set(end.partition, { next, end: BigInt(end.high) });
  }
  return progress;
}

/**
 * Republishes the records of a dead-letter topic to their original topics (header
 * `dlq-original-topic`) with their original key, value and headers (see {@link replayHeaders}),
 * committing progress after each one so a replay is not repeated. It reads up to the end the
 * topic had when it began, so records dead-lettered again meanwhile wait for the next replay.
 * Run it once the cause is fixed; records are republished in order per dead-letter partition.
 *
 * @returns What was republished and how many records were passed over.
 *
 * @example
 * ```ts
 * const { replayed } = await replayDeadLetters({ kafka, dlqTopic: 'shop.public.parcels.dlq' });
 * logger.info({ count: replayed.length }, 'replayed dead letters');
 * ```
 */
export async function replayDeadLetters(options: ReplayDeadLettersOptions): Promise<ReplayResult> {
  const { kafka, dlqTopic, filter, limit, timeoutMs, ...resolved } = parseOptions(
    replayDeadLettersOptionsSchema,
    options,
    'replayDeadLetters',
  );
  const groupId = resolved.groupId ?? `${dlqTopic}.replay`;
  const logger = resolved.logger ?? silentLogger;
  const admin = kafka.admin();
  await admin.connect();
  let progress: Map<number, Progress>;
  try {
    progress = await progressOf(admin, groupId, dlqTopic);
  } finally {
    await admin.disconnect();
  }
  const replayed: ReplayedRecord[] = [];
  let skipped = 0;
  if (progress.size === 0) return { replayed, skipped };

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  try {
    let failed = false;
    let finish!: (error?: unknown) => void;
    const finished = new Promise<void>((resolve, reject) => {
      finish = (error) => {
        if (error === undefined) return resolve();
        // Nothing after a record that could not be republished: order per partition holds.
        failed = true;
        reject(asError(error));
      };
    });
    const done = (): boolean =>
      failed || (limit !== undefined && replayed.length >= limit) || progress.size === 0;

    const replayOne = async (message: KafkaMessage, partition: number): Promise<void> => {
      const headers = textHeaders(message.headers);
      const originalTopic = headers[deadLetterHeaders.originalTopic];
      const record: DeadLetterRecord = {
        partition,
        offset: message.offset,
        originalTopic,
        key: message.key,
        value: message.value,
        headers,
      };
      if (originalTopic === undefined || (filter !== undefined && !filter(record))) {
        if (originalTopic === undefined)
          logger.warn(
            { dlqTopic, partition, offset: message.offset },
            'dead letter without dlq-original-topic skipped',
          );
        skipped++;
        return;
      }
      await producer.send({
        topic: originalTopic,
        acks: -1,
        messages: [
          {
            key: message.key,
            value: message.value,
            headers: replayHeaders(message.headers, `${dlqTopic}:${partition}:${message.offset}`),
          },
        ],
      });
      replayed.push({ partition, offset: message.offset, topic: originalTopic, key: message.key });
    };

    const eachBatch = async (payload: EachBatchPayload): Promise<void> => {
      const { partition } = payload.batch;
      for (const message of payload.batch.messages) {
        const state = progress.get(partition);
        if (done() || state === undefined || !payload.isRunning() || payload.isStale()) break;
        if (BigInt(message.offset) >= state.end) {
          progress.delete(partition);
          break;
        }
        await replayOne(message, partition);
        payload.resolveOffset(message.offset);
        // Commit each step: a replay interrupted here is not repeated from the start.
        await payload.commitOffsetsIfNecessary();
        state.next = BigInt(message.offset) + 1n;
        if (state.next >= state.end) progress.delete(partition);
        await payload.heartbeat();
      }
      if (done()) finish();
    };

    await consumer.connect();
    await consumer.subscribe({ topics: [dlqTopic], fromBeginning: true });
    await consumer.run({
      eachBatchAutoResolve: false,
      autoCommitThreshold: 1,
      eachBatch: (payload) => eachBatch(payload).catch((error: unknown) => finish(error)),
    });
    const timer = setTimeout(
      () =>
        finish(
          new TrackOpsError({
            code: 'DLQ_REPLAY_TIMEOUT',
            message: `replaying ${dlqTopic} did not reach its end within ${timeoutMs} ms (${replayed.length} replayed)`,
            retriable: true,
          }),
        ),
      timeoutMs,
    );
    try {
      await finished;
    } finally {
      clearTimeout(timer);
    }
    return { replayed, skipped };
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

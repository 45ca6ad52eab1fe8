/**
 * The dead-letter topics (`<topic>.dlq`) as the console's panel lists them
 * (`GET /api/events/dlq`): every record with the context its consumer wrote into the headers
 * — the original topic, partition and offset, the consumer group, the error, the attempts —
 * and whether `POST /api/events/dlq/replay` has replayed it yet.
 *
 * A consumer that never commits, in a consumer group of its own per service start, reads every
 * dead-letter topic from its start and remembers the newest records (one entry per
 * `topic:partition:offset`, so a rebalance that reads them again lists none twice); a record
 * is replayed once the replay's group (`<dlq topic>.replay`, see `replayDeadLetters`) has
 * committed past its offset.
 */
import { randomUUID } from 'node:crypto';
import { deadLetterHeaders, replayedFromHeader } from '@trackops/core';
import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from 'pino';

/** One dead letter, as the panel shows it. */
export interface DeadLetterView {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  originalTopic: string | null;
  originalPartition: string | null;
  originalOffset: string | null;
  consumerGroup: string | null;
  errorClass: string | null;
  errorMessage: string | null;
  attempts: string | null;
  failedAt: string | null;
  /** `<dlq topic>:<partition>:<offset>` when the record had been replayed once already. */
  replayedFrom: string | null;
}

/** A dead-letter topic: its records not yet replayed (newest first) and its size. */
export interface DeadLetterTopicView {
  topic: string;
  /** Records ever written to it. */
  total: number;
  /** Of those, not yet replayed. */
  pending: number;
  /** The newest of the pending ones that this service has read (up to `keep`). */
  records: DeadLetterView[];
}

/** A started watch. */
export interface DeadLetterWatch {
  topics(): Promise<DeadLetterTopicView[]>;
  stop(): Promise<void>;
}

const text = (value: Buffer | string | (Buffer | string)[] | undefined): string | null => {
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  return last === undefined ? null : last.toString();
};

/** Newest first: by the time the consumer wrote it, then by offset within a partition. */
const byNewest = (a: DeadLetterView, b: DeadLetterView): number => {
  const at = (b.failedAt ?? '').localeCompare(a.failedAt ?? '');
  if (at !== 0) return at;
  const offsets = BigInt(b.offset) - BigInt(a.offset);
  return offsets > 0n ? 1 : offsets < 0n ? -1 : b.partition - a.partition;
};

/** Per partition: the replay group's committed offset (-1 when it has replayed nothing). */
async function replayedUpTo(admin: Admin, topic: string): Promise<Map<number, bigint>> {
  const [committed] = await admin.fetchOffsets({ groupId: `${topic}.replay`, topics: [topic] });
  return new Map(
    (committed?.partitions ?? []).map((entry) => [entry.partition, BigInt(entry.offset)]),
  );
}

export async function startDeadLetterWatch(options: {
  kafka: Kafka;
  /** The dead-letter topics of the system; those that exist when the watch starts are watched. */
  topics: readonly string[];
  groupId: string;
  logger: Logger;
  /** Records kept per topic. @defaultValue 50 */
  keep?: number;
}): Promise<DeadLetterWatch> {
  const keep = options.keep ?? 50;
  // A group of its own per start: it never commits, so a group shared across starts or
  // replicas would split the partitions between them (each seeing only part of the records)
  // and restart from the beginning at every rebalance. The broker removes an empty group
  // without committed offsets.
  const groupId = `${options.groupId}-${randomUUID()}`;
  // Per topic, by `<partition>:<offset>`: a rebalance that reads a record again replaces it.
  const seen = new Map<string, Map<string, DeadLetterView>>();
  const admin = options.kafka.admin();
  const consumer = options.kafka.consumer({ groupId, maxWaitTimeInMs: 250 });
  let watched: string[];
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    watched = [...new Set(options.topics)].filter((topic) => existing.has(topic)).sort();
    for (const topic of watched) seen.set(topic, new Map());
    if (watched.length > 0) {
      await consumer.connect();
      await consumer.subscribe({ topics: watched, fromBeginning: true });
      await consumer.run({
        // Never committed: every start reads the dead letters again from the beginning.
        autoCommit: false,
        eachMessage: ({ topic, partition, message }) => {
          const header = (name: string) => text(message.headers?.[name]);
          // Only watched topics are delivered, and each has its map from the start.
          const records = seen.get(topic)!;
          records.set(`${partition}:${message.offset}`, {
            topic,
            partition,
            offset: message.offset,
            key: message.key?.toString() ?? null,
            originalTopic: header(deadLetterHeaders.originalTopic),
            originalPartition: header(deadLetterHeaders.originalPartition),
            originalOffset: header(deadLetterHeaders.originalOffset),
            consumerGroup: header(deadLetterHeaders.consumerGroup),
            errorClass: header(deadLetterHeaders.errorClass),
            errorMessage: header(deadLetterHeaders.errorMessage),
            attempts: header(deadLetterHeaders.attempts),
            failedAt: header(deadLetterHeaders.failedAt),
            replayedFrom: header(replayedFromHeader),
          });
          // Only the `keep` newest, whatever order the partitions are read in.
          if (records.size > keep) {
            const oldest = [...records.values()].sort(byNewest).slice(keep);
            for (const record of oldest) records.delete(`${record.partition}:${record.offset}`);
          }
          return Promise.resolve();
        },
      });
    }
  } catch (error) {
    // Release what was connected; a client never connected has nothing to release.
    await consumer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    throw error;
  }
  options.logger.info({ topics: watched }, 'watching dead-letter topics');

  return {
    async topics() {
      return Promise.all(
        watched.map(async (topic) => {
          const [ends, replayed] = await Promise.all([
            admin.fetchTopicOffsets(topic),
            replayedUpTo(admin, topic),
          ]);
          let total = 0;
          let pending = 0;
          for (const end of ends) {
            const high = BigInt(end.high);
            const low = BigInt(end.low);
            const from = replayed.get(end.partition) ?? -1n;
            total += Number(high - low);
            pending += Number(high - (from > low ? from : low));
          }
          const records = [...(seen.get(topic)?.values() ?? [])]
            .filter((record) => BigInt(record.offset) >= (replayed.get(record.partition) ?? -1n))
            .sort(byNewest);
          return { topic, total, pending, records };
        }),
      );
    },
    async stop() {
      await consumer.disconnect();
      await admin.disconnect();
    },
  };
}

import type { KafkaAdmin, KafkaClient } from './kafkaTypes.js';

/** The lag of one partition: how many records the group has yet to commit. */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** The group's committed offset (the next record it will read); null when it has none. */
  readonly committed: string | null;
  /** The partition's end offset (high watermark). */
  readonly end: string;
  /**
   * `end - committed`; without a committed offset, `end - start` (everything retained is still
   * to be read, as for a new group reading from the beginning).
   */
  readonly lag: number;
}

/** The lag of a consumer group on some topics. */
export interface ConsumerLag {
  readonly groupId: string;
  /** One entry per partition of each topic, in topic then partition order. */
  readonly partitions: readonly PartitionLag[];
  /** The sum of the partitions' lag. */
  readonly total: number;
}

function isAdmin(source: KafkaClient | KafkaAdmin): source is KafkaAdmin {
  return typeof (source as KafkaAdmin).fetchTopicOffsets === 'function';
}

/**
 * The lag of consumer group `groupId` on `topics`: per partition the end offset minus the
 * group's committed offset, and the total. Committed offsets move only after a record was
 * handled or dead-lettered (see {@link createCdcConsumer}), so this is the work still to do.
 *
 * @param source - A kafkajs `Kafka` (an admin client is connected and closed for this call) or
 *   a connected `Admin` of the caller's, for frequent polling.
 * @param groupId - The consumer group.
 * @param topics - The topics to measure.
 *
 * @example
 * ```ts
 * const lag = await consumerLag(kafka, 'orders-projection', ['shop.public.orders']);
 * gauge.set(lag.total);
 * ```
 */
export async function consumerLag(
  source: KafkaClient | KafkaAdmin,
  groupId: string,
  topics: readonly string[],
): Promise<ConsumerLag> {
  const admin = isAdmin(source) ? source : source.admin();
  const owned = admin !== source;
  if (owned) await admin.connect();
  try {
    const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
    const partitions: PartitionLag[] = [];
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      const group = committed.find((entry) => entry.topic === topic)?.partitions ?? [];
      for (const end of [...ends].sort((a, b) => a.partition - b.partition)) {
        const offset = group.find((entry) => entry.partition === end.partition)?.offset;
        // kafkajs reports "no committed offset" as '-1'.
        const has = offset !== undefined && offset !== '-1' && offset !== '';
        const from = BigInt(has ? offset : end.low);
        const lag = BigInt(end.high) - from;
        partitions.push({
          topic,
          partition: end.partition,
          committed: has ? offset : null,
          end: end.high,
          lag: Number(lag > 0n ? lag : 0n),
        });
      }
    }
    return { groupId, partitions, total: partitions.reduce((sum, entry) => sum + entry.lag, 0) };
  } finally {
    if (owned) await admin.disconnect();
  }
}

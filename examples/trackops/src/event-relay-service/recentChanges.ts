/**
 * The last few change events of each captured table, for the console's CDC panel
 * (`GET /api/cdc/changes`): a consumer of its own that only remembers what it saw.
 *
 * It never commits, in a consumer group of its own per start, so every start reads from the
 * end of each topic: the panel shows what happens while the service runs, not the history
 * (an int64 column, decoded to a bigint, is shown as its decimal string). It decodes with `decodeRecord` itself
 * rather than through a CDC consumer: a record it cannot decode is listed with the decoder's
 * error — never retried, never dead-lettered a second time (the consumers that act on the
 * topic do that), never stalling the panel.
 */
import { randomUUID } from 'node:crypto';
import { decodeRecord } from '@trackops/cdc';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';

/** One change as the panel shows it. */
export interface RecentChange {
  /** `c` insert, `u` update, `d` delete, `r` snapshot read, `t` truncate; `error`: undecodable. */
  op: 'c' | 'u' | 'd' | 'r' | 't' | 'error';
  /** The row's key columns. */
  key: Record<string, unknown> | null;
  /**
   * Of an update: the columns whose value changed (all of the new row's when Debezium sent no
   * old image). Empty for the other operations, which concern the whole row.
   */
  columns: string[];
  /** When PostgreSQL committed it (`source.ts_ms`). */
  committedAt: string;
  /** Commit → this consumer, in ms (across the database's and this machine's clocks). */
  lagMs: number;
  /** The change's LSN, as Debezium gives it. */
  lsn: string | null;
  /** Why the record could not be decoded (`op: 'error'`). */
  error: string | null;
}

/** A started recorder. */
export interface RecentChanges {
  /** The changes per topic, newest first. */
  byTopic(): Record<string, RecentChange[]>;
  stop(): Promise<void>;
}

/** `JSON.stringify` that renders a bigint (an int64 column) as its decimal string. */
const stringify = (value: unknown): string | undefined =>
  JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'bigint' ? item.toString() : item,
  );

/** A row's key columns as JSON renders them: a bigint becomes its decimal string. */
const jsonSafe = (row: Readonly<Record<string, unknown>>): Record<string, unknown> =>
  JSON.parse(stringify(row) ?? '{}') as Record<string, unknown>;

const changedColumns = (
  before: Readonly<Record<string, unknown>> | null,
  after: Readonly<Record<string, unknown>>,
): string[] => {
  if (before === null) return Object.keys(after);
  return Object.keys(after).filter(
    (column) => stringify(after[column]) !== stringify(before[column]),
  );
};

export async function startRecentChanges(options: {
  kafka: Kafka;
  topics: readonly string[];
  groupId: string;
  logger: Logger;
  /** Changes kept per topic. @defaultValue 20 */
  keep?: number;
}): Promise<RecentChanges> {
  const keep = options.keep ?? 20;
  const seen = new Map<string, RecentChange[]>(options.topics.map((topic) => [topic, []]));
  const remember = (topic: string, change: RecentChange): void => {
    // Every topic has its list from the start.
    const list = seen.get(topic)!;
    list.unshift(change);
    list.length = Math.min(list.length, keep);
  };
  // A group of its own per start (it never commits): replicas, or a start after a restart, do
  // not split the partitions. The broker removes an empty group without committed offsets.
  const consumer = options.kafka.consumer({
    groupId: `${options.groupId}-${randomUUID()}`,
    maxWaitTimeInMs: 200,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...options.topics], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachMessage: ({ topic, message }) => {
        let event;
        try {
          event = decodeRecord({ ...message, topic });
        } catch (error) {
          const at = new Date(Number(message.timestamp));
          remember(topic, {
            op: 'error',
            key: null,
            columns: [],
            committedAt: at.toISOString(),
            lagMs: Date.now() - at.getTime(),
            lsn: null,
            error: (error as Error).message,
          });
          return Promise.resolve();
        }
        if (event.kind === 'change') {
          remember(topic, {
            op: event.op,
            key: event.key === null ? null : jsonSafe(event.key),
            columns: event.op === 'u' ? changedColumns(event.before, event.after) : [],
            committedAt: new Date(event.source.tsMs).toISOString(),
            lagMs: Date.now() - event.source.tsMs,
            lsn: event.source.lsn?.toString() ?? null,
            error: null,
          });
        }
        return Promise.resolve();
      },
    });
  } catch (error) {
    await consumer.disconnect();
    throw error;
  }
  options.logger.debug({ topics: options.topics }, 'recording recent changes');
  return {
    byTopic: () => Object.fromEntries(seen),
    stop: () => consumer.disconnect(),
  };
}

import type { Message, Producer } from 'kafkajs';
import type { OutboxRow } from './claim.js';
import { messageOf, messageSize } from './record.js';
import { topicFor, type Route } from './routing.js';

/** What publishing a batch achieved. */
export interface PublishOutcome {
  /** Ids the broker acknowledged, in publish order. */
  published: string[];
  /** Rows that failed for reasons of their own (too large, illegal topic …). */
  failed: Array<{ row: OutboxRow; error: Error }>;
  /**
   * Set when the broker or network failed (not the rows): publishing stopped there; rows not
   * in `published` or `failed` stay as they were and are retried without counting attempts.
   */
  aborted?: Error;
}

// Produce errors that belong to the record, not to the broker's or network's state: the
// same record would fail again. Anything else is retried without charging the row.
const recordErrorTypes = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TOPIC_EXCEPTION',
  'TOPIC_AUTHORIZATION_FAILED',
  'POLICY_VIOLATION',
]);

/** True when `error` (or an error in its `cause` chain) is a record-level produce error. */
export function isRecordError(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const type = (current as { type?: unknown }).type;
    if (typeof type === 'string' && recordErrorTypes.has(type)) return true;
    current =
      (current as { cause?: unknown }).cause ??
      (current as { originalError?: unknown }).originalError;
  }
  return false;
}

interface Routed {
  row: OutboxRow;
  topic: string;
  message: Message;
  size: number;
}

function aggregateOf(row: OutboxRow): string {
  return `${row.aggregatetype}\u0000${row.aggregateid}`;
}

/** Groups consecutive messages by topic, keeping their order within each topic. */
function topicMessages(items: readonly Routed[]): Array<{ topic: string; messages: Message[] }> {
  const byTopic = new Map<string, Message[]>();
  for (const item of items) {
    const list = byTopic.get(item.topic) ?? [];
    list.push(item.message);
    byTopic.set(item.topic, list);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/**
 * Publishes rows in `seq` order and reports, per row, what happened. Rows go out in chunks of
 * at most `maxBatchBytes` (a partition's record batch must stay under the broker's
 * `message.max.bytes`). A chunk that fails for a record-level reason is retried row by row
 * to find the culprit; once a row of an aggregate fails, that aggregate's later rows are held
 * back (left untouched), so nothing of an aggregate is published before an earlier event.
 * `blocked` carries those aggregates from one call to the next within a relay cycle.
 */
export async function publishRows(
  producer: Producer,
  rows: readonly OutboxRow[],
  route: Route,
  maxBatchBytes: number,
  blocked: Set<string> = new Set(),
): Promise<PublishOutcome> {
  const outcome: PublishOutcome = { published: [], failed: [] };
  const fail = (row: OutboxRow, error: Error): void => {
    outcome.failed.push({ row, error });
    blocked.add(aggregateOf(row));
  };

  const chunks: Routed[][] = [];
  let chunk: Routed[] = [];
  let chunkBytes = 0;
  for (const row of rows) {
    const routed = topicFor(route, row);
    if ('error' in routed) {
      fail(row, new Error(routed.error));
      continue;
    }
    const message = messageOf(row);
    const size = messageSize(message);
    if (chunk.length > 0 && chunkBytes + size > maxBatchBytes) {
      chunks.push(chunk);
      chunk = [];
      chunkBytes = 0;
    }
    chunk.push({ row, topic: routed.topic, message, size });
    chunkBytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);

  for (const items of chunks) {
    const sendable = items.filter((item) => !blocked.has(aggregateOf(item.row)));
    if (sendable.length === 0) continue;
    try {
      await producer.sendBatch({ topicMessages: topicMessages(sendable), acks: -1 });
      for (const item of sendable) outcome.published.push(item.row.id);
      continue;
    } catch (error) {
      if (!isRecordError(error)) return { ...outcome, aborted: error as Error };
    }
    // A record-level failure somewhere in the chunk: find it one row at a time.
    for (const item of sendable) {
      if (blocked.has(aggregateOf(item.row))) continue;
      try {
        await producer.send({ topic: item.topic, messages: [item.message], acks: -1 });
        outcome.published.push(item.row.id);
      } catch (error) {
        if (!isRecordError(error)) return { ...outcome, aborted: error as Error };
        fail(item.row, error as Error);
      }
    }
  }
  return outcome;
}

/**
 * Dead-letter records: the original key, value and headers, plus where the record came from
 * and why it failed. Headers are written twice — TrackOps' own text headers (`dlq-…`) and the
 * `kafka_dlt-…` headers Spring Kafka's DeadLetterPublishingRecoverer writes, in Spring's
 * binary encoding, so Spring-based tooling reads them too.
 */

/** Where a failed record came from and what happened to it. */
export interface DeadLetterContext {
  topic: string;
  partition: number;
  offset: string;
  /** The record's timestamp (ms since epoch, as kafkajs gives it). */
  timestamp: string;
  consumerGroup: string;
  error: Error;
  attempts: number;
}

/** The headers TrackOps adds to a dead letter (text values). */
export const deadLetterHeaders = {
  originalTopic: 'dlq-original-topic',
  originalPartition: 'dlq-original-partition',
  originalOffset: 'dlq-original-offset',
  originalTimestamp: 'dlq-original-timestamp',
  consumerGroup: 'dlq-consumer-group',
  errorClass: 'dlq-error-class',
  errorMessage: 'dlq-error-message',
  errorStack: 'dlq-error-stack',
  attempts: 'dlq-attempts',
  failedAt: 'dlq-failed-at',
} as const;

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}

function int64(value: string | number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigInt64BE(BigInt(value));
  return buffer;
}

/** The dead-letter topic of `topic` by the common convention: `<topic>.dlq`. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

/**
 * The headers of a dead letter: the original ones (kept) plus the context, in TrackOps' and
 * Spring Kafka's names.
 */
export function deadLetterRecordHeaders(
  original: Record<string, Buffer | string | undefined>,
  context: DeadLetterContext,
  now: Date = new Date(),
): Record<string, Buffer | string> {
  const headers: Record<string, Buffer | string> = {};
  for (const [name, value] of Object.entries(original))
    if (value !== undefined) headers[name] = value;
  const errorClass = context.error.name || context.error.constructor.name;
  const message = context.error.message.slice(0, 4000);
  const stack = (context.error.stack ?? '').slice(0, 8000);
  Object.assign(headers, {
    [deadLetterHeaders.originalTopic]: context.topic,
    [deadLetterHeaders.originalPartition]: String(context.partition),
    [deadLetterHeaders.originalOffset]: context.offset,
    [deadLetterHeaders.originalTimestamp]: context.timestamp,
    [deadLetterHeaders.consumerGroup]: context.consumerGroup,
    [deadLetterHeaders.errorClass]: errorClass,
    [deadLetterHeaders.errorMessage]: message,
    [deadLetterHeaders.errorStack]: stack,
    [deadLetterHeaders.attempts]: String(context.attempts),
    [deadLetterHeaders.failedAt]: now.toISOString(),
    // Spring Kafka (KafkaHeaders.DLT_*): partition int32, offset and timestamp int64.
    'kafka_dlt-original-topic': context.topic,
    'kafka_dlt-original-partition': int32(context.partition),
    'kafka_dlt-original-offset': int64(context.offset),
    'kafka_dlt-original-timestamp': int64(context.timestamp),
    'kafka_dlt-original-timestamp-type': 'CreateTime',
    'kafka_dlt-original-consumer-group': context.consumerGroup,
    'kafka_dlt-exception-fqcn': errorClass,
    'kafka_dlt-exception-message': message,
    'kafka_dlt-exception-stacktrace': stack,
  });
  return headers;
}

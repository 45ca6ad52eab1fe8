import { Kafka, logLevel, type IHeaders } from 'kafkajs';
import { uniqueName } from './ids.js';

/** A kafkajs client on the stack's brokers; quiet unless KAFKAJS_LOG_LEVEL says otherwise. */
export function testKafka(brokers: string, clientId = 'trackops-test'): Kafka {
  const level = process.env['KAFKAJS_LOG_LEVEL'];
  return new Kafka({
    clientId,
    brokers: brokers.split(',').map((broker) => broker.trim()),
    logLevel: level ? logLevel[level.toUpperCase() as keyof typeof logLevel] : logLevel.NOTHING,
  });
}

/** Creates topics (waiting for their leaders) so producers and consumers need no auto-creation. */
export async function createTopics(
  kafka: Kafka,
  topics: readonly string[],
  numPartitions = 1,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions, replicationFactor: 1 })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

/** A record as a test sees it: text key, value and headers (null for a tombstone's value). */
export interface ReceivedRecord {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string | null>;
}

/**
 * Header values as text; kafkajs gives Buffers (or arrays of them for repeated keys), and
 * `null` for a header whose value is Kafka's null (Debezium sends those).
 */
export function headersAsText(headers: IHeaders | undefined): Record<string, string | null> {
  const result: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = (Array.isArray(value) ? value[value.length - 1] : value) as
      Buffer | string | null | undefined;
    if (last === undefined) continue;
    result[name] = last === null ? null : last.toString();
  }
  return result;
}

export interface CollectOptions {
  topics: readonly string[];
  /** Resolve as soon as this holds for the records received so far. */
  until: (records: readonly ReceivedRecord[]) => boolean;
  /** Give up (rejecting with what was seen) after this long. */
  timeoutMs: number;
  /** Read topics from their first offset (default) or only new records. */
  fromBeginning?: boolean;
}

/**
 * Consumes with a group of its own until `until` is satisfied or the deadline passes. The
 * rejection lists what did arrive, which is usually the quickest way to see what went wrong.
 */
export async function collectRecords(
  kafka: Kafka,
  options: CollectOptions,
): Promise<ReceivedRecord[]> {
  // Subscribing to a topic that does not exist yet (a connector's, before its first change)
  // fails in kafkajs; creating it first is what the broker's auto-creation would do anyway.
  await createTopics(kafka, options.topics);
  const consumer = kafka.consumer({ groupId: uniqueName('collect'), maxWaitTimeInMs: 100 });
  const records: ReceivedRecord[] = [];
  await consumer.connect();
  try {
    let satisfied!: () => void;
    const done = new Promise<void>((resolve) => (satisfied = resolve));
    // One subscribe call for all topics: with one call per topic, kafkajs 2.2.4 was seen to
    // fetch only from the first ones.
    await consumer.subscribe({
      topics: [...options.topics],
      fromBeginning: options.fromBeginning ?? true,
    });
    await consumer.run({
      eachMessage: ({ topic, partition, message }) => {
        records.push({
          topic,
          partition,
          offset: message.offset,
          timestamp: message.timestamp,
          key: message.key ? message.key.toString() : null,
          value: message.value ? message.value.toString() : null,
          headers: headersAsText(message.headers),
        });
        if (options.until(records)) satisfied();
        return Promise.resolve();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const seen = records
          .map((record) => `${record.topic}@${record.offset} key=${String(record.key)}`)
          .join('\n  ');
        reject(
          new Error(
            `no match on ${options.topics.join(', ')} within ${options.timeoutMs} ms; received ${records.length} record(s)${seen ? `:\n  ${seen}` : ''}`,
          ),
        );
      }, options.timeoutMs);
    });
    try {
      await Promise.race([done, timeout]);
    } finally {
      clearTimeout(timer);
    }
    return [...records];
  } finally {
    await consumer.disconnect();
  }
}

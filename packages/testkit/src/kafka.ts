import { Kafka, logLevel, type IHeaders, type KafkaMessage } from 'kafkajs';
import { TestkitError } from './errors.js';
import { uniqueName } from './ids.js';

/**
 * A kafkajs client on the given brokers, quiet unless `KAFKAJS_LOG_LEVEL` says otherwise
 * (`error`, `warn`, `info` or `debug`).
 *
 * @param brokers - Comma-separated `host:port` (`KAFKA_BROKERS`).
 * @param clientId - The client id the broker logs.
 * @defaultValue `clientId`: `'trackops-test'`
 */
export function testKafka(brokers: string, clientId = 'trackops-test'): Kafka {
  const level = process.env['KAFKAJS_LOG_LEVEL'];
  return new Kafka({
    clientId,
    brokers: brokers.split(',').map((broker) => broker.trim()),
    logLevel: level ? logLevel[level.toUpperCase() as keyof typeof logLevel] : logLevel.NOTHING,
  });
}

/**
 * Creates topics (waiting for their leaders) so producers and consumers need no auto-creation.
 * Topics that exist already are left as they are.
 *
 * @param kafka - The client.
 * @param topics - The topics; use {@link uniqueName} for names no other test file uses.
 * @param numPartitions - Partitions of each new topic.
 * @defaultValue `numPartitions`: 1
 */
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
  /** The topic it was read from. */
  topic: string;
  /** Its partition. */
  partition: number;
  /** Its offset in the partition. */
  offset: string;
  /** Its timestamp, milliseconds since the epoch, as text (as kafkajs gives it). */
  timestamp: string;
  /** The key as UTF-8 text; null when the record has none. */
  key: string | null;
  /** The value as UTF-8 text; null for a tombstone. */
  value: string | null;
  /** The headers as text (see {@link headersAsText}). */
  headers: Record<string, string | null>;
}

/**
 * Header values as text; kafkajs gives Buffers (or arrays of them for repeated keys, of which
 * the last wins), and `null` for a header whose value is Kafka's null (Debezium sends those).
 *
 * @param headers - The headers of a kafkajs message.
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

function received(topic: string, partition: number, message: KafkaMessage): ReceivedRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    timestamp: message.timestamp,
    key: message.key ? message.key.toString() : null,
    value: message.value ? message.value.toString() : null,
    headers: headersAsText(message.headers),
  };
}

/** What {@link consumeUntil} does; the assertions and {@link collectRecords} build on it. */
export interface ConsumeUntilOptions<T> {
  /** The topics to read (created first if missing). */
  topics: readonly string[];
  /** Read from the first offset, or only records that arrive after the consumer joined. */
  fromBeginning: boolean;
  /** The deadline in milliseconds, counted from the call: connecting takes part of it. */
  within: number;
  /**
   * Sees each record in turn, as text and as kafkajs gave it; returning a value (not undefined)
   * ends the wait with it. A throw rejects at once.
   */
  onRecord: (
    record: ReceivedRecord,
    message: KafkaMessage,
  ) => T | undefined | Promise<T | undefined>;
  /** The message of the rejection at the deadline: what was seen, and why nothing matched. */
  describeTimeout: () => string;
}

/**
 * Consumes with a consumer group of its own until `onRecord` returns a value or `within` ms have
 * passed, then disconnects. It never waits past the deadline, even when Kafka does not answer,
 * and the consumer is disconnected whichever way it ends.
 *
 * @internal
 */
export async function consumeUntil<T>(kafka: Kafka, options: ConsumeUntilOptions<T>): Promise<T> {
  const consumer = kafka.consumer({ groupId: uniqueName('testkit'), maxWaitTimeInMs: 100 });
  let joined = false;
  const removeJoinListener = consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
  });
  let finished = false;
  let timedOut = false;
  let settle!: { resolve: (value: T) => void; reject: (error: unknown) => void };
  const matched = new Promise<T>((resolve, reject) => (settle = { resolve, reject }));

  // The deadline's disconnect may have come while a step was pending — connect, subscribe, or
  // the group join in run(), during which kafkajs ignores it: after each step a consume that
  // timed out disconnects again and gives up, or the consumer would stay.
  const gaveUp = async (): Promise<boolean> => {
    if (!timedOut) return false;
    await consumer.disconnect();
    return true;
  };

  const consume = async (): Promise<T | undefined> => {
    // Subscribing to a topic that does not exist yet (a connector's, before its first change)
    // fails in kafkajs; creating it first is what the broker's auto-creation would do anyway.
    await createTopics(kafka, options.topics);
    await consumer.connect();
    if (await gaveUp()) return undefined;
    // One subscribe call for all topics: with one call per topic, kafkajs 2.2.4 was seen to
    // fetch only from the first ones.
    await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning });
    if (await gaveUp()) return undefined;
    await consumer.run({
      // Nothing to resume: an assertion's group must leave no offsets behind.
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        if (finished) return;
        try {
          const result = await options.onRecord(received(topic, partition, message), message);
          if (result !== undefined) {
            finished = true;
            settle.resolve(result);
          }
        } catch (error) {
          finished = true;
          settle.reject(error);
        }
      },
    });
    // run() returns once the group is joined.
    if (await gaveUp()) return undefined;
    return matched;
  };

  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      finished = true;
      timedOut = true;
      const stalled = joined
        ? ''
        : ' (the consumer had not joined its group by then: is Kafka reachable, and the topic there?)';
      reject(
        new TestkitError({
          code: 'TESTKIT_EXPECTATION_FAILED',
          message: `${options.describeTimeout()}${stalled}`,
        }),
      );
    }, options.within);
  });
  const consuming = consume();
  // Past the deadline `consuming` may still reject (a connect cut short); that is not news.
  consuming.catch(() => undefined);
  try {
    // `consuming` resolves undefined only once the deadline has passed, which rejects first.
    return (await Promise.race([consuming, deadline])) as T;
  } finally {
    clearTimeout(timer);
    removeJoinListener();
    await consumer.disconnect();
  }
}

/** Options of {@link collectRecords}. */
export interface CollectOptions {
  /** The topics to read. */
  topics: readonly string[];
  /** Resolve as soon as this holds for the records received so far. */
  until: (records: readonly ReceivedRecord[]) => boolean;
  /** Give up (rejecting with what was seen) after this many milliseconds. */
  timeoutMs: number;
  /**
   * Read topics from their first offset, or only new records.
   * @defaultValue `true`
   */
  fromBeginning?: boolean;
}

/**
 * Consumes with a group of its own until `until` is satisfied or the deadline passes. The
 * rejection lists what did arrive, which is usually the quickest way to see what went wrong.
 *
 * @param kafka - The client.
 * @param options - See {@link CollectOptions}.
 * @returns Every record received, in arrival order.
 * @throws {@link TestkitError} `TESTKIT_EXPECTATION_FAILED` at the deadline.
 */
export async function collectRecords(
  kafka: Kafka,
  options: CollectOptions,
): Promise<ReceivedRecord[]> {
  const records: ReceivedRecord[] = [];
  return consumeUntil(kafka, {
    topics: options.topics,
    fromBeginning: options.fromBeginning ?? true,
    within: options.timeoutMs,
    onRecord: (record) => {
      records.push(record);
      return options.until(records) ? [...records] : undefined;
    },
    describeTimeout: () => {
      const seen = records
        .map((record) => `${record.topic}@${record.offset} key=${String(record.key)}`)
        .join('\n  ');
      return `no match on ${options.topics.join(', ')} within ${options.timeoutMs} ms; received ${records.length} record(s)${seen ? `:\n  ${seen}` : ''}`;
    },
  });
}

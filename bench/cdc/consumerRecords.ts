/**
 * The CDC consumer benchmark's records: real Debezium change events (the committed fixtures,
 * captured from the connector) produced to a topic with a plain kafkajs producer, so both
 * consumers read the same bytes from the broker.
 */
import { readFileSync } from 'node:fs';
import { decodeRecord } from '@trackops/cdc';
import type { Kafka, Message } from 'kafkajs';

interface FixtureRecord {
  topic: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** Every record of these fixtures, in capture order, is produced; the run cycles through them. */
export const fixtureFiles = [
  'operations.schemas-false',
  'operations.schemas-true',
  'wide-types.schemas-false',
  'wide-types.schemas-true',
] as const;

/** The distinct records of a run and what they add up to. */
export interface RecordSet {
  readonly messages: readonly Message[];
  /** Tombstones among `messages` (the consumer skips them without calling its handler). */
  readonly tombstones: number;
  /** Mean key + value bytes per record. */
  readonly meanBytes: number;
}

/** Loads the fixtures' records verbatim (key, value, headers) and checks that each decodes. */
export function loadRecords(): RecordSet {
  const records = fixtureFiles.flatMap((file) => {
    const url = new URL(`../../packages/cdc/test/fixtures/${file}.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { records: FixtureRecord[] }).records;
  });
  // A record that did not decode would be dead-lettered (a produce per record) and make the
  // consumer's rate meaningless; fail before producing anything.
  for (const record of records) decodeRecord(record);
  const messages = records.map((record): Message => ({
    key: record.key,
    value: record.value,
    headers: record.headers,
  }));
  const bytes = records.reduce(
    (total, record) =>
      total + Buffer.byteLength(record.key ?? '') + Buffer.byteLength(record.value ?? ''),
    0,
  );
  return {
    messages,
    tombstones: records.filter((record) => record.value === null).length,
    meanBytes: Math.round(bytes / records.length),
  };
}

/** Tombstones among the first `count` records of the cycle. */
export function tombstonesIn(set: RecordSet, count: number): number {
  const perCycle = set.tombstones;
  const cycles = Math.floor(count / set.messages.length);
  const rest = set.messages.slice(0, count % set.messages.length);
  return cycles * perCycle + rest.filter((message) => message.value === null).length;
}

/**
 * Produces `count` records, cycling through the set, spread round-robin over `partitions`
 * (the fixtures have a handful of keys; hashing them would load one partition and leave the
 * others idle, which no real topic with many keys does). Returns the milliseconds it took.
 */
export async function produceRecords(
  kafka: Kafka,
  topic: string,
  set: RecordSet,
  count: number,
  partitions: number,
): Promise<number> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const started = performance.now();
  try {
    // A send puts one record batch per partition; the broker refuses batches over 1 MB
    // (message.max.bytes), and wide_types records with schemas are 8–17 KB.
    const perSend = 240;
    for (let sent = 0; sent < count; sent += perSend) {
      const messages: Message[] = [];
      for (let i = sent; i < Math.min(count, sent + perSend); i++)
        messages.push({ ...set.messages[i % set.messages.length]!, partition: i % partitions });
      await producer.send({ topic, messages });
    }
    return performance.now() - started;
  } finally {
    await producer.disconnect();
  }
}

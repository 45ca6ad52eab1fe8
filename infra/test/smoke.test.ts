import { describe, expect, it } from 'vitest';
import { stackEndpoints } from '@trackops/testkit';
import { cdcSmoke, kafkaSmoke, redisSmoke } from '../test-support/index.js';

describe('the stack smoke path', () => {
  it('carries a row inserted in PostgreSQL through a Debezium connector to Kafka, where it decodes', async () => {
    const result = await cdcSmoke(stackEndpoints());

    expect(result.record.topic).toMatch(/^smoke_[0-9a-f]{10}\.public\.parcels$/);
    expect(result.key).toEqual({ id: 42 });
    expect(result.value.op).toBe('c');
    expect(result.value.after).toEqual({ id: 42, label: 'smoke parcel', weight: '12.50' });
    expect(result.value.source).toMatchObject({
      connector: 'postgresql',
      schema: 'public',
      table: 'parcels',
    });
    expect(typeof result.value.source?.['lsn']).toBe('number');
  });

  it('round-trips keyed records through an idempotent acks=all producer and a consumer group, in order per key', async () => {
    const result = await kafkaSmoke(stackEndpoints(), 30);

    expect(result.received).toHaveLength(30);
    const byKey = (records: ReadonlyArray<{ key: string | null; value: string | null }>) => {
      const groups = new Map<string | null, Array<string | null>>();
      for (const record of records)
        groups.set(record.key, [...(groups.get(record.key) ?? []), record.value]);
      return groups;
    };
    const sentByKey = byKey(result.sent);
    const receivedByKey = byKey(result.received);
    expect(receivedByKey.size).toBe(5);
    for (const [key, values] of sentByKey) expect(receivedByKey.get(key)).toEqual(values);
    // The same key always lands on the same partition.
    for (const key of sentByKey.keys()) {
      expect(
        new Set(
          result.received.filter((record) => record.key === key).map((record) => record.partition),
        ).size,
      ).toBe(1);
    }
  });

  it('writes, reads and expires a Redis key', async () => {
    const result = await redisSmoke(stackEndpoints());

    expect(result.read).toBe(result.written);
    expect(result.ttlSeconds).toBeGreaterThan(0);
    expect(result.ttlSeconds).toBeLessThanOrEqual(60);
  });
});

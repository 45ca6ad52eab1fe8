/**
 * The pure pieces around the CDC consumer: the headers a replayed dead letter is published
 * with, the lag arithmetic, and option checks at construction.
 */
import { describe, expect, it } from 'vitest';
import { deadLetterRecordHeaders, isTrackOpsError } from '@trackops/core';
import {
  column,
  consumerLag,
  createCdcConsumer,
  defineTable,
  replayHeaders,
  tableHandler,
} from '@trackops/cdc';

describe('replayHeaders', () => {
  it('gives back the original headers, without the dead-letter context, plus where it came from', () => {
    const original = { traceparent: '00-abc-def-01', '__debezium.newkey': Buffer.from('{"id":2}') };
    const deadLetter = deadLetterRecordHeaders(original, {
      topic: 'shop.public.parcels',
      partition: 2,
      offset: '41',
      timestamp: '1700000000000',
      consumerGroup: 'indexer',
      error: new Error('boom'),
      attempts: 3,
    });
    expect(Object.keys(deadLetter).some((name) => name.startsWith('kafka_dlt-'))).toBe(true);

    expect(replayHeaders(deadLetter, 'shop.public.parcels.dlq:0:7')).toEqual({
      traceparent: '00-abc-def-01',
      '__debezium.newkey': Buffer.from('{"id":2}'),
      'dlq-replayed-from': 'shop.public.parcels.dlq:0:7',
    });
  });

  it('keeps repeated headers as they are and replaces an earlier replay mark', () => {
    expect(
      replayHeaders(
        { tag: ['a', 'b'], 'dlq-replayed-from': 'old:0:1', 'dlq-attempts': '2' },
        'new:0:5',
      ),
    ).toEqual({ tag: ['a', 'b'], 'dlq-replayed-from': 'new:0:5' });
    expect(replayHeaders(undefined, 'x:0:0')).toEqual({ 'dlq-replayed-from': 'x:0:0' });
  });
});

describe('consumerLag', () => {
  const admin = {
    fetchTopicOffsets: (topic: string) =>
      Promise.resolve(
        topic === 'a'
          ? [
              { partition: 1, offset: '10', high: '10', low: '4' },
              { partition: 0, offset: '7', high: '7', low: '0' },
            ]
          : [{ partition: 0, offset: '5', high: '5', low: '5' }],
      ),
    fetchOffsets: () =>
      Promise.resolve([
        {
          topic: 'a',
          partitions: [
            { partition: 0, offset: '3', metadata: null },
            { partition: 1, offset: '-1', metadata: null },
          ],
        },
        { topic: 'b', partitions: [{ partition: 0, offset: '-1', metadata: null }] },
      ]),
  };

  it('is the end offset minus the committed one, or minus the start without a commit', async () => {
    const lag = await consumerLag(admin as unknown as Parameters<typeof consumerLag>[0], 'group', [
      'a',
      'b',
    ]);
    expect(lag).toEqual({
      groupId: 'group',
      total: 10,
      partitions: [
        { topic: 'a', partition: 0, committed: '3', end: '7', lag: 4 },
        { topic: 'a', partition: 1, committed: null, end: '10', lag: 6 },
        { topic: 'b', partition: 0, committed: null, end: '5', lag: 0 },
      ],
    });
  });
});

describe('createCdcConsumer options', () => {
  const kafka = { producer: () => undefined, consumer: () => undefined } as never;

  it('names the bad option', () => {
    const attempt = (options: object) => {
      try {
        createCdcConsumer({ kafka, groupId: 'g', tables: {}, ...options });
        return undefined;
      } catch (error) {
        return error;
      }
    };
    const empty = attempt({});
    expect(isTrackOpsError(empty, 'INVALID_OPTIONS')).toBe(true);
    expect((empty as Error).message).toContain('tables: must name at least one topic');
    expect((attempt({ tables: { t: 42 } }) as Error).message).toContain('tables.t');
    expect(
      (attempt({ tables: { t: () => undefined }, retry: { attempts: 0 } }) as Error).message,
    ).toContain('retry.attempts');
    expect(
      (attempt({ tables: { t: () => undefined }, tombstones: 'drop' }) as Error).message,
    ).toContain('tombstones');
  });

  it('prefixes table keys with the topic prefix', () => {
    const parcels = defineTable({ table: 'parcels', columns: { id: column.int32() } });
    const consumer = createCdcConsumer({
      kafka,
      groupId: 'g',
      topicPrefix: 'shop',
      tables: { 'public.parcels': tableHandler(parcels, () => undefined), 'public.x': () => {} },
    });
    expect(consumer.topics).toEqual(['shop.public.parcels', 'shop.public.x']);
  });
});

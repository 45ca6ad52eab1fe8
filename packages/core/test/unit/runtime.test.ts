import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  backoffDelay,
  debeziumPostgresConnection,
  messageRetryBackoff,
  messageRetrySchema,
  slotNameFor,
  deadLetterRecordHeaders,
  isTrackOpsError,
  checkOut,
  Lifecycle,
  optionTypes,
  parseOptions,
  qualifiedName,
  quoteIdentifier,
  TypedEmitter,
} from '@trackops/core';

describe('quoteIdentifier', () => {
  it('quotes legal names and refuses anything that would need escaping, naming the option', () => {
    expect(quoteIdentifier('outbox_2', 'table')).toBe('"outbox_2"');
    expect(qualifiedName('events', 'outbox')).toBe('"events"."outbox"');
    for (const bad of ['', '2fast', 'a-b', 'a"b', 'x'.repeat(64), 'drop table x;']) {
      expect(() => quoteIdentifier(bad, 'relay.table')).toThrow(
        /^relay\.table must be 1-63 letters/,
      );
    }
  });
});

describe('parseOptions', () => {
  const schema = z
    .object({
      batchSize: z.int().min(1).default(10),
      nested: z.object({ ms: z.int() }).prefault({ ms: 1 }),
    })
    .strict();

  it('applies defaults and names every bad option by its path', () => {
    expect(parseOptions(schema, {}, 'thing')).toEqual({ batchSize: 10, nested: { ms: 1 } });
    try {
      parseOptions(schema, { batchSize: 0, nested: { ms: 'x' }, extra: true }, 'thing');
      expect.unreachable();
    } catch (error) {
      expect(isTrackOpsError(error, 'INVALID_OPTIONS')).toBe(true);
      expect((error as Error).message).toMatch(/^invalid thing options: /);
      expect((error as Error).message).toContain('batchSize: ');
      expect((error as Error).message).toContain('nested.ms: ');
      expect((error as Error).message).toContain('extra');
    }
  });

  it('checks clients by shape', () => {
    expect(optionTypes.pool().safeParse({ query() {}, connect() {} }).success).toBe(true);
    expect(optionTypes.pool().safeParse({ query() {} }).error?.issues[0]?.message).toBe(
      'must be a pg.Pool (query() and connect())',
    );
    expect(optionTypes.logger().safeParse(console).success).toBe(true);
    expect(optionTypes.signal().safeParse(new AbortController().signal).success).toBe(true);
    expect(optionTypes.signal().safeParse({ aborted: false }).success).toBe(false);
  });
});

describe('backoffDelay', () => {
  const policy = { initialMs: 100, maxMs: 1000, multiplier: 2, jitter: false };

  it('grows exponentially up to the cap', () => {
    expect([1, 2, 3, 4, 5, 10].map((attempt) => backoffDelay(policy, attempt))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it('jitters within [delay/2, delay]', () => {
    expect(backoffDelay({ ...policy, jitter: true }, 3, () => 0)).toBe(200);
    expect(backoffDelay({ ...policy, jitter: true }, 3, () => 1)).toBe(400);
  });
});

describe('Lifecycle', () => {
  it('starts once, stops once after the start settled, and refuses to start again', async () => {
    const calls: string[] = [];
    let finishStart!: () => void;
    const lifecycle = new Lifecycle('widget', {
      start: () =>
        new Promise<void>((resolve) => (finishStart = () => (calls.push('started'), resolve()))),
      stop: () => {
        calls.push('stopped');
        return Promise.resolve();
      },
    });
    const starts = [lifecycle.start(), lifecycle.start()];
    const stops = [lifecycle.stop(), lifecycle.stop()];
    expect(calls).toEqual([]);
    finishStart();
    await Promise.all([...starts, ...stops]);
    expect(calls).toEqual(['started', 'stopped']);
    expect(lifecycle.stopped).toBe(true);
    await expect(lifecycle.start()).rejects.toThrow('the widget was stopped; create a new one');
  });
});

describe('checkOut', () => {
  it('absorbs the error event of a held connection until it is released', async () => {
    let released: unknown;
    const client = Object.assign(new EventEmitter(), {
      query: () => Promise.resolve({ rows: [], rowCount: 0 }),
      release: (broken?: boolean | Error) => {
        released = broken ?? 'ok';
      },
    });
    const held = await checkOut({ query: client.query, connect: () => Promise.resolve(client) });
    expect(() => client.emit('error', new Error('server closed the connection'))).not.toThrow();
    const broken = new Error('broken');
    held.release(broken);
    expect(released).toBe(broken);
    expect(client.listenerCount('error')).toBe(0);
  });
});

describe('Lifecycle.stopOn', () => {
  it('stops when the signal aborts, and at once when it already has', async () => {
    const stops: string[] = [];
    const make = (name: string) =>
      new Lifecycle(name, {
        start: () => Promise.resolve(),
        stop: () => (stops.push(name), Promise.resolve()),
      });

    const later = make('later');
    const controller = new AbortController();
    later.stopOn(controller.signal);
    await later.start();
    expect(stops).toEqual([]);
    controller.abort();
    await later.stop();
    expect(stops).toEqual(['later']);

    const early = make('early');
    early.stopOn(AbortSignal.abort());
    expect(early.stopped).toBe(true);
    await expect(early.start()).rejects.toThrow(/the early was stopped/);
    make('none').stopOn(undefined);
    expect(stops).toEqual(['later', 'early']);
  });
});

describe('TypedEmitter', () => {
  it('delivers to listeners until unsubscribed, builds lazy payloads only when listened to, and isolates a throwing listener', () => {
    const errors: unknown[] = [];
    const emitter = new TypedEmitter<{ tick: { n: number } }>((error) => errors.push(error));
    let built = 0;
    emitter.emit('tick', () => ({ n: ++built }));
    expect(built).toBe(0);

    const seen: number[] = [];
    const off = emitter.on('tick', ({ n }) => seen.push(n));
    emitter.on('tick', () => {
      throw new Error('listener bug');
    });
    emitter.emit('tick', () => ({ n: ++built }));
    off();
    emitter.emit('tick', { n: 99 });
    expect(seen).toEqual([1]);
    expect(errors).toHaveLength(2);
  });
});

describe('deadLetterRecordHeaders', () => {
  it('keeps the original headers and adds the context in TrackOps and Spring Kafka form', () => {
    const error = new TypeError('bad amount');
    const headers = deadLetterRecordHeaders(
      { id: 'evt-1', trace: Buffer.from('t') },
      {
        topic: 'payments',
        partition: 2,
        offset: '41',
        timestamp: '1700000000000',
        consumerGroup: 'billing',
        error,
        attempts: 3,
      },
      new Date('2026-01-02T03:04:05Z'),
    );
    expect(headers).toMatchObject({
      id: 'evt-1',
      'dlq-original-topic': 'payments',
      'dlq-original-partition': '2',
      'dlq-original-offset': '41',
      'dlq-consumer-group': 'billing',
      'dlq-error-class': 'TypeError',
      'dlq-error-message': 'bad amount',
      'dlq-attempts': '3',
      'dlq-failed-at': '2026-01-02T03:04:05.000Z',
      'kafka_dlt-original-topic': 'payments',
      'kafka_dlt-exception-fqcn': 'TypeError',
    });
    // Spring's encoding: partition int32, offset and timestamp int64, big-endian.
    expect((headers['kafka_dlt-original-partition'] as Buffer).readInt32BE()).toBe(2);
    expect((headers['kafka_dlt-original-offset'] as Buffer).readBigInt64BE()).toBe(41n);
    expect((headers['kafka_dlt-original-timestamp'] as Buffer).readBigInt64BE()).toBe(
      1700000000000n,
    );
  });
});

describe('Debezium PostgreSQL connection settings', () => {
  it('reads the database settings from the URL, decoding escapes, and derives slot names', () => {
    expect(debeziumPostgresConnection('postgres://deb%40ezium:p%2Fw@db.internal/orders')).toEqual({
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      'tasks.max': '1',
      'plugin.name': 'pgoutput',
      'database.hostname': 'db.internal',
      'database.port': '5432',
      'database.user': 'deb@ezium',
      'database.password': 'p/w',
      'database.dbname': 'orders',
    });
    expect(slotNameFor('Orders-CDC.v2')).toBe('orders_cdc_v2');
    expect(slotNameFor('x'.repeat(80))).toHaveLength(63);
  });
});

describe('messageRetrySchema', () => {
  it('defaults to 3 attempts, 200 ms doubling to 5 s, with jitter', () => {
    const retry = messageRetrySchema.parse({});
    expect(retry).toEqual({ attempts: 3, initialMs: 200, maxMs: 5000 });
    expect(messageRetryBackoff(retry)).toEqual({
      initialMs: 200,
      maxMs: 5000,
      multiplier: 2,
      jitter: true,
    });
  });
});

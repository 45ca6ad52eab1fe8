/**
 * The CDC consumer live through the real Debezium connector (JsonConverter with
 * `schemas.enable=false`, so the typed table's `defineTable` declaration drives the conversion):
 * typed handlers, dead letters with their context, replay, restart from committed offsets and a
 * graceful stop.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  collectRecords,
  createTestDatabase,
  createTopics,
  debeziumTestConfig,
  deleteConnector,
  putConnector,
  stackEndpoints,
  testKafka,
  uniqueName,
  waitForSlot,
  withDatabase,
  type TestDatabase,
} from '@trackops/testkit';
import {
  column,
  consumerLag,
  createCdcConsumer,
  defineTable,
  replayDeadLetters,
  tableHandler,
  type CdcConsumer,
  type CdcConsumerOptions,
  type DecodedRecord,
} from '@trackops/cdc';
import { startConsumerProcess, type ConsumerProcess } from './support/processes.js';

const tables = ['typed', 'dlq', 'restart', 'killed', 'stopping'] as const;

function parcelsTable(name: string) {
  return defineTable({
    table: name,
    key: ['id'],
    columns: {
      id: column.int32(),
      label: column.string(),
      weight: column.decimal({ scale: 2 }).nullable(),
    },
  });
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('the CDC consumer through Debezium', () => {
  const stack = stackEndpoints();
  const kafka = testKafka(stack.KAFKA_BROKERS);
  const prefix = uniqueName('cdcconsumer');
  const topic = (table: (typeof tables)[number]) => `${prefix}.public.${table}`;
  let db: TestDatabase;
  let connectorName: string | undefined;
  const consumers: CdcConsumer[] = [];
  const processes: ConsumerProcess[] = [];

  const consumer = (options: Omit<CdcConsumerOptions, 'kafka'>): CdcConsumer => {
    const created = createCdcConsumer({
      kafka,
      consumerConfig: { maxWaitTimeInMs: 100 },
      ...options,
    });
    consumers.push(created);
    return created;
  };

  beforeAll(async () => {
    db = await createTestDatabase(stack.DATABASE_URL, 'cdc_consumer');
    for (const table of tables) {
      await db.pool.query(
        `create table ${table} (id integer primary key, label text not null, weight numeric(8,2))`,
      );
      // FULL: updates and deletes carry the whole old row in `before`.
      await db.pool.query(`alter table ${table} replica identity full`);
    }
    await createTopics(
      kafka,
      tables.flatMap((table) => [topic(table), `${topic(table)}.dlq`]),
    );
    connectorName = prefix;
    const config = debeziumTestConfig(
      {
        databaseUrl: withDatabase(stack.CONNECT_DATABASE_URL, db.name),
        database: db.name,
        topicPrefix: prefix,
        tables: tables.map((table) => `public.${table}`),
      },
      {
        'snapshot.mode': 'no_data',
        'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'key.converter.schemas.enable': 'false',
        'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'value.converter.schemas.enable': 'false',
      },
    );
    await putConnector(stack.CONNECT_URL, prefix, config);
    await waitForSlot(stack.DATABASE_URL, config['slot.name']!);
  }, 120_000);
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((running) => running.stop()));
    await Promise.all(processes.splice(0).map((child) => child.kill()));
  });
  afterAll(async () => {
    // The connector holds the database's replication slot: delete it before the database.
    if (connectorName) await deleteConnector(stack.CONNECT_URL, connectorName);
    await db?.drop();
  });

  it('passes inserts, updates and deletes of a typed table to its handler with the right before/after', async () => {
    const parcels = parcelsTable('typed');
    const events: Array<DecodedRecord<{ id: number; label: string; weight: string | null }>> = [];
    let skippedTombstones = 0;
    const groupId = uniqueName('typed');
    const running = consumer({
      groupId,
      topicPrefix: prefix,
      fromBeginning: true,
      tables: { 'public.typed': tableHandler(parcels, (event) => void events.push(event)) },
    });
    running.on('cdc:processed', ({ kind, skipped }) => {
      if (kind === 'tombstone' && skipped) skippedTombstones++;
    });
    await running.start();

    await db.pool.query(`insert into typed values (1, 'box', 12.50)`);
    await db.pool.query(`update typed set label = 'crate', weight = 99999.99 where id = 1`);
    await db.pool.query(`delete from typed where id = 1`);
    await waitFor('three change events and a skipped tombstone', () => {
      return events.length >= 3 && skippedTombstones === 1;
    });

    expect(events.map((event) => event.kind)).toEqual(['change', 'change', 'change']);
    const [insert, update, remove] = events;
    if (insert?.kind !== 'change' || insert.op !== 'c') throw new Error('expected an insert');
    expect(insert.before).toBeNull();
    expect(insert.after).toEqual({ id: 1, label: 'box', weight: '12.50' });
    expect(insert.key).toEqual({ id: 1 });
    if (update?.kind !== 'change' || update.op !== 'u') throw new Error('expected an update');
    expect(update.before).toEqual({ id: 1, label: 'box', weight: '12.50' });
    expect(update.after).toEqual({ id: 1, label: 'crate', weight: '99999.99' });
    if (remove?.kind !== 'change' || remove.op !== 'd') throw new Error('expected a delete');
    expect(remove.before).toEqual({ id: 1, label: 'crate', weight: '99999.99' });
    expect(remove.after).toBeNull();

    // Everything handled is committed (kafkajs commits after each batch): the lag drains to 0.
    await expect
      .poll(async () => (await consumerLag(kafka, groupId, [topic('typed')])).total, {
        timeout: 15_000,
      })
      .toBe(0);
    const lag = await running.lag();
    expect(lag.partitions).toEqual([
      expect.objectContaining({ topic: topic('typed'), partition: 0, end: '4', lag: 0 }),
    ]);
  });

  it('dead-letters a record whose handler keeps failing (and an undecodable one) with their context while the rest flow; replay brings them back', async () => {
    const parcels = parcelsTable('dlq');
    const handled: Array<{ id: number; replayedFrom: string | undefined }> = [];
    let fixed = false;
    const groupId = uniqueName('dlq');
    const failures: number[] = [];
    const running = consumer({
      groupId,
      fromBeginning: true,
      retry: { attempts: 3, initialMs: 10, maxMs: 50 },
      tables: {
        [topic('dlq')]: tableHandler(parcels, (event) => {
          if (event.kind !== 'change' || event.op !== 'c') return;
          if (event.after.label === 'poison' && !fixed) throw new Error('cannot ship poison');
          handled.push({ id: event.after.id, replayedFrom: event.headers['dlq-replayed-from'] });
        }),
      },
    });
    running.on('cdc:failed', ({ attempt }) => failures.push(attempt));
    await running.start();

    await db.pool.query(`insert into dlq values (1, 'box', 1), (2, 'poison', 2), (3, 'crate', 3)`);
    await waitFor('rows 1 and 3', () => handled.length >= 2);
    // Not a Debezium event: a decode error, dead-lettered at once (retrying cannot help).
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: topic('dlq'),
      messages: [{ key: '{"id":4}', value: '{"op":"c","after":', headers: { trace: 't-4' } }],
    });
    await producer.disconnect();

    const dead = await collectRecords(kafka, {
      topics: [`${topic('dlq')}.dlq`],
      until: (records) => records.length >= 2,
      timeoutMs: 30_000,
    });
    expect(handled.map((row) => row.id)).toEqual([1, 3]);
    expect(failures).toEqual([1, 2, 3, 1]);

    const [poison, garbage] = dead;
    expect(poison!.key).toBe('{"id":2}');
    expect(JSON.parse(poison!.value!)).toMatchObject({
      op: 'c',
      after: { id: 2, label: 'poison' },
    });
    expect(poison!.headers).toMatchObject({
      'dlq-original-topic': topic('dlq'),
      'dlq-original-partition': '0',
      'dlq-original-offset': '1',
      'dlq-consumer-group': groupId,
      'dlq-error-class': 'Error',
      'dlq-error-message': 'cannot ship poison',
      'dlq-attempts': '3',
      'kafka_dlt-original-topic': topic('dlq'),
      'kafka_dlt-original-consumer-group': groupId,
      'kafka_dlt-exception-message': 'cannot ship poison',
    });
    expect(poison!.headers['dlq-error-stack']).toContain('cannot ship poison');
    expect(poison!.headers['dlq-original-timestamp']).toMatch(/^\d+$/);
    expect(garbage!.value).toBe('{"op":"c","after":');
    expect(garbage!.headers).toMatchObject({
      trace: 't-4',
      'dlq-error-class': 'DebeziumDecodeError',
      'dlq-attempts': '1',
      'dlq-original-offset': '3',
    });

    // The handler is fixed; only the poison record is replayed (the garbage stays garbage).
    fixed = true;
    const replay = await replayDeadLetters({
      kafka,
      dlqTopic: `${topic('dlq')}.dlq`,
      filter: (record) => record.headers['dlq-error-class'] !== 'DebeziumDecodeError',
    });
    expect(replay.skipped).toBe(1);
    expect(replay.replayed).toEqual([
      { partition: 0, offset: '0', topic: topic('dlq'), key: Buffer.from('{"id":2}') },
    ]);
    await waitFor('the replayed row', () => handled.length >= 3);
    expect(handled[2]).toEqual({ id: 2, replayedFrom: `${topic('dlq')}.dlq:0:0` });

    // Progress was committed: a second replay finds nothing left.
    expect(await replayDeadLetters({ kafka, dlqTopic: `${topic('dlq')}.dlq` })).toEqual({
      replayed: [],
      skipped: 0,
    });
  });

  it('resumes from committed offsets after a restart mid-stream without losing events', async () => {
    const groupId = uniqueName('restart');
    const seen: number[] = [];
    const handler = async (event: DecodedRecord) => {
      if (event.kind !== 'change' || event.op !== 'c') return;
      await sleep(15);
      seen.push(event.after['id'] as number);
    };
    const options = { groupId, fromBeginning: true, tables: { [topic('restart')]: handler } };
    const first = consumer(options);
    await first.start();
    const total = 60;
    for (let id = 1; id <= total; id++)
      await db.pool.query(`insert into restart values ($1::int, 'parcel ' || $1::int, null)`, [id]);
    await waitFor('a third of the rows', () => seen.length >= total / 3);
    await first.stop();
    const beforeRestart = seen.length;
    expect(beforeRestart).toBeLessThan(total);

    const second = consumer(options);
    await second.start();
    await waitFor('every row', () => new Set(seen).size === total);
    const duplicates = seen.length - total;
    // At least once: a restart may repeat records handled since the last commit, never lose one.
    expect(duplicates).toBeGreaterThanOrEqual(0);
    // A graceful stop commits what it handled, so nothing is repeated here.
    expect(duplicates).toBe(0);
    expect([...new Set(seen)].sort((a, b) => a - b)).toEqual(
      Array.from({ length: total }, (_, index) => index + 1),
    );
  });

  it('loses nothing when a consumer process is SIGKILLed mid-batch (duplicates allowed, counted)', async () => {
    const groupId = uniqueName('killed');
    const total = 100;
    const child = await startConsumerProcess({
      KAFKA_BROKERS: stack.KAFKA_BROKERS,
      TOPIC: topic('killed'),
      GROUP_ID: groupId,
      HANDLER_DELAY_MS: '10',
    });
    processes.push(child);
    // One transaction: Debezium writes the rows back to back, so they arrive in few batches.
    await db.pool.query(
      `insert into killed select n, 'parcel ' || n, null from generate_series(1, ${total}) n`,
    );
    await waitFor('the child to handle some rows', () => child.handled.length >= 30);
    await child.kill();
    const beforeKill = [...child.handled];
    expect(beforeKill.length).toBeLessThan(total);

    const after: number[] = [];
    const restarted = consumer({
      groupId,
      tables: {
        [topic('killed')]: (event) => {
          if (event.kind === 'change' && event.op === 'c') after.push(event.after['id'] as number);
        },
      },
    });
    await restarted.start();
    // The group hands the partition over once the killed member's session timed out (6 s).
    await waitFor('every row', () => new Set([...beforeKill, ...after]).size === total, 60_000);
    const duplicates = beforeKill.length + after.length - total;
    // The killed batch's records were handled but never committed: they come again.
    console.info(
      `SIGKILL mid-batch: ${beforeKill.length} handled before, ${duplicates} duplicate(s)`,
    );
    expect(duplicates).toBeGreaterThanOrEqual(0);
    // Resumed from the committed offset, in order: ids after the restart ascend.
    expect(after).toEqual([...after].sort((a, b) => a - b));
    expect(after.at(-1)).toBe(total);
  }, 120_000);

  it('finishes the record in hand on stop() and commits it', async () => {
    const groupId = uniqueName('stopping');
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let entered = false;
    const finished: number[] = [];
    const first = consumer({
      groupId,
      fromBeginning: true,
      tables: {
        [topic('stopping')]: async (event) => {
          if (event.kind !== 'change' || event.op !== 'c') return;
          entered = true;
          await released;
          finished.push(event.after['id'] as number);
        },
      },
    });
    await first.start();
    await db.pool.query(`insert into stopping values (1, 'slow', null), (2, 'next', null)`);
    await waitFor('the handler to be entered', () => entered);

    let stopped = false;
    const stopping = first.stop().then(() => (stopped = true));
    await sleep(300);
    expect(stopped).toBe(false);
    release();
    await stopping;
    // The record in hand finished; the next one was not started.
    expect(finished).toEqual([1]);
    await first.stop(); // idempotent

    // A new consumer of the group starts after the finished (committed) record.
    const seen: number[] = [];
    const second = consumer({
      groupId,
      tables: {
        [topic('stopping')]: (event) => {
          if (event.kind === 'change' && event.op === 'c') seen.push(event.after['id'] as number);
        },
      },
    });
    await second.start();
    await waitFor('row 2', () => seen.length >= 1);
    expect(seen).toEqual([2]);
  });
});

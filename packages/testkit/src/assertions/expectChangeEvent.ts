import type { Kafka } from 'kafkajs';
import {
  createDecoder,
  type ChangeEvent,
  type DecoderOptions,
  type Table,
  type UntypedRow,
} from '@trackops/cdc';
import { parseOptions } from '@trackops/core';
import { z } from 'zod';
import { consumeUntil } from '../kafka.js';
import { describeWhere, type Where } from './match.js';
import { Observations } from './observations.js';
import { topicWatchFields, where } from './watchOptions.js';

/** The `op` of a Debezium change event: create, update, delete, snapshot read, truncate. */
export type ChangeOp = ChangeEvent['op'];

const changeOps = ['c', 'u', 'd', 'r', 't'] as const satisfies readonly ChangeOp[];

/**
 * Options of {@link expectChangeEvent}.
 *
 * @typeParam Row - The row type: the table's, when `table` is given.
 * @typeParam Key - The key type: the table's, when `table` is given.
 * @typeParam Op - The operations accepted.
 */
export interface ExpectChangeEventOptions<Row, Key, Op extends ChangeOp> {
  /** The connector's topic for the table, `<topic.prefix>.<schema>.<table>`. */
  topic: string;
  /** The operation, or operations, accepted. Any when left out. */
  op?: Op | readonly Op[];
  /**
   * The table, declared with `@trackops/cdc`'s `defineTable`, to decode typed rows and keys.
   * Without it rows and keys are plain objects of the values as the converter wrote them.
   */
  table?: Table<Row, Key>;
  /**
   * A condition on the row: `after` for a create, read or update, `before` for a delete (a
   * truncate has no row, so it never matches a `where`). A predicate or a partial row.
   */
  where?: Where<NoInfer<Row>>;
  /** A condition on the decoded Kafka key (the primary key): a predicate or a partial key. */
  key?: Where<NoInfer<Key>>;
  /** Options of the decoder (`createDecoder`): the heartbeat topic prefix, the event form … */
  decoder?: DecoderOptions;
  /**
   * How long to wait for a match, in milliseconds, counted from the call.
   * @defaultValue 10 000
   */
  within?: number;
  /**
   * Read the topic from its first offset, so events of changes made before the call count.
   * @defaultValue `true`
   */
  fromBeginning?: boolean;
}

const expectChangeEventSchema = z.object({
  ...topicWatchFields,
  op: z.union([z.enum(changeOps), z.array(z.enum(changeOps)).min(1)]).optional(),
  table: z
    .custom<Table<unknown, unknown>>(
      (value) =>
        typeof (value as Partial<Table<unknown, unknown>> | null)?.decodeRow === 'function',
      { message: "must be a table declared with @trackops/cdc's defineTable" },
    )
    .optional(),
  where,
  key: where,
  decoder: z.record(z.string(), z.unknown()).optional(),
});

/** The row a `where` is matched against: the new image, or the old one for a delete. */
function rowOf<Row, Key>(event: ChangeEvent<Row, Key>): Row | null {
  switch (event.op) {
    case 'c':
    case 'r':
    case 'u':
      return event.after;
    case 'd':
      return event.before;
    case 't':
      return null;
  }
}

/**
 * Expects a Debezium change event on a table's topic within a deadline: "this insert, update or
 * delete reached Kafka". Records are decoded with `@trackops/cdc`'s decoder (JsonConverter with
 * or without schemas), so the rows are what your CDC consumers see. Only Debezium's envelope is a
 * change event: records of a connector that unwraps with `ExtractNewRecordState` are reported as
 * not matching (check those with {@link expectRecord}).
 *
 * Reads with a consumer group of its own, from the first offset by default, and never waits past
 * `within`; the consumer is disconnected however it ends.
 *
 * @param kafka - A kafkajs client on the cluster.
 * @param options - See {@link ExpectChangeEventOptions}.
 * @returns The first matching change event (narrowed to the `op`s asked for).
 * @throws {@link TestkitError} `TESTKIT_EXPECTATION_FAILED` at the deadline, saying how many
 *   records it saw and why each failed (not a change event, another op, the key or row that
 *   differed and where).
 * @throws `TrackOpsError` `INVALID_OPTIONS` at once for bad options, naming the option.
 *
 * @example
 * ```ts
 * await db.pool.query(`update orders set status = 'PAID' where id = 42`);
 * const event = await expectChangeEvent(kafka, {
 *   topic: `${prefix}.public.orders`,
 *   op: 'u',
 *   key: { id: 42 },
 *   where: { status: 'PAID' },
 * });
 * expect(event.before?.status).toBe('NEW'); // with REPLICA IDENTITY FULL
 * ```
 */
export async function expectChangeEvent<
  Row = UntypedRow,
  Key = UntypedRow,
  Op extends ChangeOp = ChangeOp,
>(
  kafka: Kafka,
  options: ExpectChangeEventOptions<Row, Key, Op>,
): Promise<Extract<ChangeEvent<Row, Key>, { op: Op }>> {
  const resolved = parseOptions(expectChangeEventSchema, options, 'expectChangeEvent');
  const decoder = createDecoder(options.decoder);
  const ops: readonly ChangeOp[] | undefined =
    options.op === undefined
      ? undefined
      : typeof options.op === 'string'
        ? [options.op]
        : options.op;
  const observations = new Observations();
  return consumeUntil(kafka, {
    topics: [resolved.topic],
    fromBeginning: resolved.fromBeginning,
    within: resolved.within,
    onRecord: (record, message) => {
      const what = `partition ${record.partition} offset ${record.offset}`;
      let event;
      try {
        const raw = { topic: record.topic, ...message };
        event = options.table ? decoder.decode(raw, options.table) : decoder.decode(raw);
      } catch (error) {
        observations.reject(
          what,
          `not a Debezium event: ${error instanceof Error ? error.message : String(error)}`,
        );
        return undefined;
      }
      if (event.kind !== 'change') {
        observations.reject(what, `a ${event.kind} record, not a change event`);
        return undefined;
      }
      // Without a table the decoder's rows are untyped; the caller's type parameters say what
      // they hold (the defaults are the untyped ones).
      const change = event as ChangeEvent<Row, Key>;
      if (ops && !ops.includes(change.op)) {
        observations.reject(what, `op ${change.op}, expected ${ops.join(' or ')}`);
        return undefined;
      }
      const keyMismatch =
        options.key === undefined
          ? undefined
          : change.key === null
            ? 'key: the event has no key'
            : describeWhere(change.key, options.key, 'key');
      if (keyMismatch) {
        observations.reject(what, `op ${change.op}, ${keyMismatch}`);
        return undefined;
      }
      if (options.where !== undefined) {
        const row = rowOf(change);
        const label = change.op === 'd' ? 'before' : 'after';
        const rowMismatch =
          row === null
            ? `a ${change.op === 't' ? 'truncate' : 'change'} has no row to match`
            : describeWhere(row, options.where, label);
        if (rowMismatch) {
          observations.reject(what, `op ${change.op}, ${rowMismatch}`);
          return undefined;
        }
      }
      return change as Extract<ChangeEvent<Row, Key>, { op: Op }>;
    },
    describeTimeout: () =>
      observations.describe(
        `expectChangeEvent: no change event on ${resolved.topic} matched within ${resolved.within} ms`,
        'record',
      ),
  });
}

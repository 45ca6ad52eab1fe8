import type { Kafka } from 'kafkajs';
import { parseOptions } from '@trackops/core';
import { z } from 'zod';
import { consumeUntil, type ReceivedRecord } from '../kafka.js';
import { describeWhere, type Where } from './match.js';
import { Observations } from './observations.js';
import { isSchema, validateWith, type AnySchema, type SchemaOutput } from './schema.js';
import { topicWatchFields, where } from './watchOptions.js';

/**
 * Options of {@link expectRecord}.
 *
 * @typeParam S - The schema of the record's value.
 */
export interface ExpectRecordOptions<S extends AnySchema> {
  /** The topic to read. */
  topic: string;
  /**
   * The schema the record's value must pass: the value is parsed as JSON (a tombstone is
   * `null`) and then checked, and typed, by it. A zod schema, or any Standard Schema.
   */
  schema: S;
  /**
   * A further condition on the parsed value: a predicate, or a partial object the value must
   * match (`{ status: 'PAID' }`).
   */
  where?: Where<SchemaOutput<S>>;
  /** The record's key must be exactly this text. */
  key?: string;
  /** Headers the record must carry, with these values as text (others are ignored). */
  headers?: Readonly<Record<string, string>>;
  /**
   * How long to wait for a match, in milliseconds, counted from the call (connecting and joining
   * a consumer group take part of it).
   * @defaultValue 10 000
   */
  within?: number;
  /**
   * Read the topic from its first offset, so records written before the call count. With
   * `false` only records arriving after the consumer joined its group are seen.
   * @defaultValue `true`
   */
  fromBeginning?: boolean;
}

/** A record {@link expectRecord} found: as received, with its value parsed and typed. */
export interface ExpectedRecord<T> extends Omit<ReceivedRecord, 'value'> {
  /** The value, as the schema returned it. */
  value: T;
  /** The value as text, as it was on Kafka; null for a tombstone. */
  rawValue: string | null;
}

// The generic types above are for callers; this checks what arrives at run time, naming the
// field. Each assertion's fields are checked by one such schema.
const expectRecordSchema = z.object({
  ...topicWatchFields,
  schema: z.custom<AnySchema>(isSchema, {
    message: 'must be a zod schema or another Standard Schema',
  }),
  where,
  key: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
});

/** The record's value as JSON, or why it is not. */
function parseJson(text: string | null): { ok: true; value: unknown } | { ok: false } {
  if (text === null) return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function quoted(text: string | null): string {
  return text === null ? 'null' : JSON.stringify(text);
}

/**
 * Expects a record on a topic whose value passes a schema (and, optionally, a condition, a key
 * and headers) within a deadline: the contract test's "this service publishes that".
 *
 * Reads with a consumer group of its own (so it never takes records from your consumers), from
 * the topic's first offset by default, and resolves with the first record that matches. It
 * never waits past `within`, and the consumer is disconnected however it ends.
 *
 * @param kafka - A kafkajs client on the cluster (see {@link testKafka}).
 * @param options - See {@link ExpectRecordOptions}.
 * @returns The first matching record, its value typed by the schema.
 * @throws {@link TestkitError} `TESTKIT_EXPECTATION_FAILED` at the deadline, saying how many
 *   records it saw and why each failed (the schema's issues, the key, the condition).
 * @throws `TrackOpsError` `INVALID_OPTIONS` at once for bad options, naming the option.
 *
 * @example
 * ```ts
 * const OrderCreated = z.object({ orderId: z.string(), total: z.string() });
 *
 * await placeOrder({ id: 'o-1', total: '12.50' }); // the code under test
 * const record = await expectRecord(kafka, {
 *   topic: 'orders.order',
 *   key: 'o-1',
 *   schema: OrderCreated,
 *   where: { total: '12.50' },
 *   within: 15_000,
 * });
 * expect(record.headers['type']).toBe('ORDER_CREATED');
 * ```
 */
export async function expectRecord<S extends AnySchema>(
  kafka: Kafka,
  options: ExpectRecordOptions<S>,
): Promise<ExpectedRecord<SchemaOutput<S>>> {
  const resolved = parseOptions(expectRecordSchema, options, 'expectRecord');
  const observations = new Observations();
  return consumeUntil(kafka, {
    topics: [resolved.topic],
    fromBeginning: resolved.fromBeginning,
    within: resolved.within,
    onRecord: async (record) => {
      const what = `partition ${record.partition} offset ${record.offset} key=${quoted(record.key)}`;
      if (resolved.key !== undefined && record.key !== resolved.key) {
        observations.reject(what, `key is not ${quoted(resolved.key)}`);
        return undefined;
      }
      for (const [name, value] of Object.entries(resolved.headers ?? {})) {
        if (record.headers[name] !== value) {
          observations.reject(
            what,
            `header ${name} is ${quoted(record.headers[name] ?? null)}, not ${quoted(value)}`,
          );
          return undefined;
        }
      }
      const json = parseJson(record.value);
      if (!json.ok) {
        observations.reject(what, `value is not JSON: ${record.value?.slice(0, 60) ?? ''}`);
        return undefined;
      }
      const validation = await validateWith(options.schema, json.value);
      if (!validation.ok) {
        observations.reject(what, `schema: ${validation.problem}`);
        return undefined;
      }
      const mismatch =
        options.where === undefined
          ? undefined
          : describeWhere(validation.value, options.where, 'where');
      if (mismatch) {
        observations.reject(what, mismatch);
        return undefined;
      }
      return { ...record, value: validation.value, rawValue: record.value };
    },
    describeTimeout: () =>
      observations.describe(
        `expectRecord: no record on ${resolved.topic} matched within ${resolved.within} ms`,
        'record',
      ),
  });
}

import { setTimeout as sleep } from 'node:timers/promises';
import { parseOptions, type Queryable } from '@trackops/core';
import { outboxNames, type OutboxTableOptions } from '@trackops/outbox';
import { z } from 'zod';
import { TestkitError } from '../errors.js';
import { describeMismatch } from './match.js';
import { Observations } from './observations.js';
import { isSchema, validateWith, type AnySchema, type SchemaOutput } from './schema.js';
import { within } from './watchOptions.js';

/**
 * What an outbox row must hold. Every field given must match; those left out are not checked.
 *
 * @typeParam P - The payload's condition: a schema, or a partial object.
 */
export interface OutboxMatch<P> {
  /** The event type (column `type`). */
  type?: string;
  /** The aggregate id (column `aggregateid`, the Kafka key). */
  aggregateId?: string;
  /** The aggregate type (column `aggregatetype`, which routes the event). */
  aggregateType?: string;
  /**
   * The payload: a schema it must pass (a zod schema or another Standard Schema), which also
   * types the row returned, or a partial object it must match (`{ total: '12.50' }`).
   */
  payload?: P;
}

/**
 * Options of {@link expectOutboxContains}.
 *
 * @typeParam P - The payload's condition.
 */
export interface ExpectOutboxContainsOptions<P> {
  /**
   * The outbox table, as given to `@trackops/outbox`'s `migrate` and `createOutbox`.
   * @defaultValue `public.outbox`
   */
  table?: OutboxTableOptions;
  /** What the row must hold. */
  match: OutboxMatch<P>;
  /**
   * How long to keep looking, in milliseconds, for events written by work that has not finished
   * yet (a consumer, a saga step). With 0 the table is read once: an event enqueued in a
   * committed transaction is there already.
   * @defaultValue 0
   */
  within?: number;
}

/** An outbox row {@link expectOutboxContains} found. */
export interface OutboxRow<T> {
  /** The event id (UUIDv7). */
  id: string;
  /** The aggregate type. */
  aggregateType: string;
  /** The aggregate id. */
  aggregateId: string;
  /** The event type. */
  type: string;
  /** The payload: as the schema returned it, or as stored. */
  payload: T;
  /** Extra headers the event carries, if any. */
  headers: Record<string, string> | null;
  /** The correlation id, if any. */
  correlationId: string | null;
  /** The causation id, if any. */
  causationId: string | null;
  /** The row's position in the table (commit order per aggregate). */
  seq: string;
  /** When the row was written. */
  createdAt: Date;
  /** When a relay published it; null until then. */
  publishedAt: Date | null;
}

/** The payload type a match returns: the schema's output, else whatever was stored. */
export type OutboxPayload<P> = [P] extends [AnySchema] ? SchemaOutput<P> : unknown;

const expectOutboxContainsSchema = z.object({
  table: z.object({ schema: z.string().optional(), table: z.string().optional() }).optional(),
  match: z.object({
    type: z.string().optional(),
    aggregateId: z.string().optional(),
    aggregateType: z.string().optional(),
    payload: z
      .custom<unknown>((value) => typeof value === 'object' && value !== null, {
        message: 'must be a zod schema (or another Standard Schema) or a partial object',
      })
      .optional(),
  }),
  within: within.default(0),
});

/** How often the table is read again while `within` lasts. */
const POLL_MS = 100;
/** The rows read per attempt: the table of one test, not a production backlog. */
const ROW_LIMIT = 1_000;

interface StoredRow {
  id: string;
  aggregatetype: string;
  aggregateid: string;
  type: string;
  payload: unknown;
  headers: Record<string, string> | null;
  correlation_id: string | null;
  causation_id: string | null;
  seq: string;
  created_at: Date;
  published_at: Date | null;
}

/**
 * Expects the outbox table to hold an event: "this transaction enqueued that". Reads the table of
 * `@trackops/outbox` (or the one you named) in `seq` order and resolves with the first row that
 * matches; with `within`, reads it again every 100 ms until one does or time is up. It reads the
 * first 1 000 rows: a test's table, not a production backlog.
 *
 * @param pool - Where the outbox table is: a `pg.Pool` or client (anything with `query`).
 * @param options - See {@link ExpectOutboxContainsOptions}.
 * @returns The first matching row, its payload typed by the schema if one was given.
 * @throws {@link TestkitError} `TESTKIT_EXPECTATION_FAILED` when no row matches, saying how many
 *   rows it read and why each differs (type, aggregate, payload field, schema issues).
 * @throws `TrackOpsError` `INVALID_OPTIONS` at once for bad options, naming the option.
 *
 * @example
 * ```ts
 * await orders.place({ id: 'o-1', total: '12.50' }); // the code under test
 * const row = await expectOutboxContains(db.pool, {
 *   match: {
 *     type: 'ORDER_CREATED',
 *     aggregateId: 'o-1',
 *     payload: z.object({ orderId: z.literal('o-1'), total: z.string() }),
 *   },
 * });
 * expect(row.payload.total).toBe('12.50');
 * ```
 */
export async function expectOutboxContains<P = unknown>(
  pool: Queryable,
  options: ExpectOutboxContainsOptions<P>,
): Promise<OutboxRow<OutboxPayload<P>>> {
  const resolved = parseOptions(expectOutboxContainsSchema, options, 'expectOutboxContains');
  const names = outboxNames(resolved.table);
  const table = `${names.schema}.${names.table}`;
  const deadline = Date.now() + resolved.within;
  for (;;) {
    const observations = new Observations();
    const { rows } = await pool.query<StoredRow & Record<string, unknown>>(
      `select id, aggregatetype, aggregateid, type, payload, headers, correlation_id,
              causation_id, seq::text as seq, created_at, published_at
         from ${names.qualified} order by seq limit ${ROW_LIMIT}`,
    );
    for (const row of rows) {
      const found = await matchRow(row, options.match, observations);
      if (found) return found as OutboxRow<OutboxPayload<P>>;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new TestkitError({
        code: 'TESTKIT_EXPECTATION_FAILED',
        message: observations.describe(
          `expectOutboxContains: no row of ${table} matched ${describeMatch(options.match)}` +
            (resolved.within > 0 ? ` within ${resolved.within} ms` : '') +
            (rows.length === ROW_LIMIT ? ` (only its first ${ROW_LIMIT} rows were read)` : ''),
          'row',
        ),
      });
    }
    await sleep(Math.min(POLL_MS, remaining));
  }
}

/** The match as the failure message shows it: the fields given, the payload as "schema". */
function describeMatch(match: OutboxMatch<unknown>): string {
  const shown = Object.fromEntries(
    Object.entries(match).map(([field, value]) => [
      field,
      field === 'payload' && isSchema(value) ? '<schema>' : value,
    ]),
  );
  return JSON.stringify(shown);
}

/** The row as {@link OutboxRow} if it matches, else undefined with the reason recorded. */
async function matchRow(
  row: StoredRow,
  match: OutboxMatch<unknown>,
  observations: Observations,
): Promise<OutboxRow<unknown> | undefined> {
  const what = `seq ${row.seq} ${row.type} ${row.aggregatetype}/${row.aggregateid}`;
  const columns: Array<[keyof OutboxMatch<unknown>, string | undefined, string]> = [
    ['type', match.type, row.type],
    ['aggregateId', match.aggregateId, row.aggregateid],
    ['aggregateType', match.aggregateType, row.aggregatetype],
  ];
  for (const [field, expected, actual] of columns) {
    if (expected !== undefined && expected !== actual) {
      observations.reject(
        what,
        `${field} is ${JSON.stringify(actual)}, not ${JSON.stringify(expected)}`,
      );
      return undefined;
    }
  }
  let payload = row.payload;
  if (isSchema(match.payload)) {
    const validation = await validateWith(match.payload, row.payload);
    if (!validation.ok) {
      observations.reject(what, `payload schema: ${validation.problem}`);
      return undefined;
    }
    payload = validation.value;
  } else if (match.payload !== undefined) {
    const mismatch = describeMismatch(row.payload, match.payload, 'payload');
    if (mismatch) {
      observations.reject(what, mismatch);
      return undefined;
    }
  }
  return {
    id: row.id,
    aggregateType: row.aggregatetype,
    aggregateId: row.aggregateid,
    type: row.type,
    payload,
    headers: row.headers,
    correlationId: row.correlation_id,
    causationId: row.causation_id,
    seq: row.seq,
    createdAt: row.created_at,
    publishedAt: row.published_at,
  };
}

import { TrackOpsError } from './errors.js';

/**
 * A query as one object, the way node-postgres takes it. With a `name`, pg prepares the
 * statement the first time it runs on a connection and afterwards only binds and executes it,
 * so PostgreSQL parses and plans it once per connection instead of on every call.
 */
export interface QueryConfig {
  /** Names a prepared statement; one name always goes with one text. */
  name?: string;
  text: string;
  values?: unknown[];
}

/** What a query resolves to: the rows, and how many rows the statement touched. */
export interface QueryResultLike<R> {
  rows: R[];
  rowCount: number | null;
}

/**
 * Anything that runs a parameterised query the way node-postgres does: a `pg.Pool`, a
 * `pg.PoolClient` or `pg.Client` (inside the caller's transaction), or a wrapper of them.
 * TrackOps never opens connections of its own; it runs on what the caller passes.
 *
 * Both forms are used: `query(text, values)`, and `query({ name, text, values })` for the
 * statements TrackOps runs on every message (see {@link queryPrepared}); pg's clients and pools
 * accept both.
 */
export interface Queryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<QueryResultLike<R>>;
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    config: QueryConfig,
  ): Promise<QueryResultLike<R>>;
}

/** A `Queryable` that can also hand out a dedicated connection, like `pg.Pool`. */
export interface ConnectionPool extends Queryable {
  connect(): Promise<PooledConnection>;
}

/** A connection checked out of a {@link ConnectionPool}; `release(error)` discards it. */
export interface PooledConnection extends Queryable {
  release(destroy?: boolean | Error): void;
}

// Unquoted-identifier rules, kept deliberately narrow: users configure these names once, and a
// name that needs quoting to be legal is almost always a typo.
const identifierPattern = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Validates a configured SQL identifier (schema, table, channel) and returns it double-quoted.
 * This is the one place where a configured name becomes SQL text.
 *
 * @param name - The identifier as configured.
 * @param option - The option that supplied it, named in the error.
 * @throws TrackOpsError `INVALID_IDENTIFIER` unless `name` is 1–63 letters, digits or `_`,
 *   not starting with a digit.
 */
export function quoteIdentifier(name: string, option: string): string {
  if (!identifierPattern.test(name)) {
    throw new TrackOpsError({
      code: 'INVALID_IDENTIFIER',
      message: `${option} must be 1-63 letters, digits or underscores, not starting with a digit (got ${JSON.stringify(name)})`,
    });
  }
  return `"${name}"`;
}

/** `"schema"."table"`, each part validated by {@link quoteIdentifier}. */
export function qualifiedName(schema: string, table: string, option = 'table'): string {
  return `${quoteIdentifier(schema, `${option}.schema`)}.${quoteIdentifier(table, `${option}.table`)}`;
}

/**
 * Checks a connection out of `pool` for the caller to hold across awaits. node-postgres emits
 * `'error'` on a checked-out client whose server connection drops between queries (a
 * PostgreSQL restart), and an unlistened `'error'` ends the process; the pool listens only
 * while the client is idle. This listens while it is held: the next query on it fails instead,
 * and the holder releases it as broken. Call the returned `release(error)`, not the client's.
 */
export async function checkOut(
  pool: ConnectionPool,
): Promise<{ client: PooledConnection; release: (broken?: Error) => void }> {
  const client = await pool.connect();
  const events = client as unknown as {
    on?: (event: 'error', listener: () => void) => unknown;
    off?: (event: 'error', listener: () => void) => unknown;
  };
  const ignore = (): void => undefined;
  events.on?.('error', ignore);
  return {
    client,
    release: (broken) => {
      events.off?.('error', ignore);
      client.release(broken);
    },
  };
}

/**
 * Runs `fn` in a transaction on a connection of its own: commits when `fn` resolves, rolls back
 * (and rethrows) when it throws. A connection whose rollback failed is discarded, not reused.
 *
 * @example
 * ```ts
 * const orderId = await withTransaction(pool, async (tx) => {
 *   const { rows } = await tx.query<{ id: string }>('insert into orders … returning id', [total]);
 *   await outbox.enqueue(tx, OrderCreated.create({ aggregateId: rows[0]!.id, payload }));
 *   return rows[0]!.id;
 * });
 * ```
 */
export async function withTransaction<T>(
  pool: ConnectionPool,
  fn: (tx: PooledConnection) => Promise<T>,
): Promise<T> {
  const { client, release } = await checkOut(pool);
  let broken: Error | undefined;
  try {
    await client.query('begin');
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch((rollbackError: unknown) => {
      broken = rollbackError as Error;
    });
    throw error;
  } finally {
    release(broken);
  }
}

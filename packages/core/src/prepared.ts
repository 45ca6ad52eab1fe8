import { createHash } from 'node:crypto';
import type { QueryResultLike, Queryable } from './sql.js';

// Statement texts are built from configured table names, so there are few of them: the map
// stays as small as the set of tables in use.
const names = new Map<string, string>();

/** The prepared-statement name of `text`: derived from the text, so equal texts share it. */
function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `trackops_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    names.set(text, name);
  }
  return name;
}

/**
 * Runs a statement TrackOps issues on every message (an outbox insert, a relay select, a saga
 * transition) as a named prepared statement: PostgreSQL parses and plans it once per
 * connection, not on every call — for these statements planning cost more than executing.
 *
 * Needs a connection that keeps prepared statements between transactions: a direct connection,
 * or PgBouncer 1.21+ in transaction mode with `max_prepared_statements` set.
 *
 * @param client - The pool or the transaction's client.
 * @param text - The statement; its name is derived from it.
 * @param values - The parameters.
 */
export function queryPrepared<R extends Record<string, unknown> = Record<string, unknown>>(
  client: Queryable,
  text: string,
  values: unknown[],
): Promise<QueryResultLike<R>> {
  return client.query<R>({ name: statementName(text), text, values });
}

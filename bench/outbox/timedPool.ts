/**
 * Instrumentation from the outside: a pool wrapper that times every query the relay sends,
 * by phase, so the report can say where a batch's time goes (the relay itself only reports a
 * batch's total). The relay sees an ordinary pool; its connections are the real ones.
 */
import { performance } from 'node:perf_hooks';
import type pg from 'pg';

/** Phases of a relay batch, as told apart by their SQL. */
export type Phase = 'connect' | 'begin' | 'lock' | 'select' | 'mark' | 'commit' | 'other';

/** Total milliseconds and count per phase. */
export type PhaseTimes = Record<Phase, { ms: number; count: number }>;

function phaseOf(text: string): Phase {
  if (/^\s*begin/i.test(text)) return 'begin';
  if (/^\s*commit/i.test(text)) return 'commit';
  if (/pg_try_advisory_xact_lock/.test(text)) return 'lock';
  if (/^\s*select o\.id/i.test(text)) return 'select';
  if (/^\s*update .* set published_at/is.test(text)) return 'mark';
  return 'other';
}

/** A pool whose clients record time per phase into the returned `times`. */
export function timedPool(pool: pg.Pool): { pool: pg.Pool; times: PhaseTimes } {
  const times = Object.fromEntries(
    (['connect', 'begin', 'lock', 'select', 'mark', 'commit', 'other'] as const).map((phase) => [
      phase,
      { ms: 0, count: 0 },
    ]),
  ) as PhaseTimes;
  const record = (phase: Phase, started: number): void => {
    times[phase].ms += performance.now() - started;
    times[phase].count++;
  };
  const wrapClient = (client: pg.PoolClient): pg.PoolClient =>
    new Proxy(client, {
      get(target, property) {
        if (property === 'query') {
          // Both forms the relay uses: `query(text, values)` and a prepared `query({ name, text, values })`.
          return async (query: string | pg.QueryConfig, values?: unknown[]) => {
            const started = performance.now();
            try {
              return await target.query(query, values);
            } finally {
              record(phaseOf(typeof query === 'string' ? query : query.text), started);
            }
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
  const wrapped = new Proxy(pool, {
    get(target, property) {
      if (property === 'connect') {
        return async () => {
          const started = performance.now();
          const client = await target.connect();
          record('connect', started);
          return wrapClient(client);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
  return { pool: wrapped, times };
}

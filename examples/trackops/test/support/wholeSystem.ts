/**
 * The test files that run the whole reference system (test/e2e, test/console) start the three
 * services on the real databases, consumer groups and connectors of the example, and remove the
 * connectors when they end. Two of them at once would share all of that and pull the
 * connectors from under each other, so they take turns: each holds a PostgreSQL advisory lock
 * while its system runs. The lock lives in a session of its own, so a test process that dies
 * releases it with its connection.
 */
import { endpoints } from '@trackops/stack';
import { deleteConnector } from '@trackops/testkit';
import pg from 'pg';
import { startSystem, type RunningSystem } from '../../src/demo/system.js';

/** Any fixed number: the key of "the whole example system is in use". */
const lockKey = 7_310_042;

interface SystemLock {
  release(): Promise<void>;
}

/**
 * Waits (up to `timeoutMs`) until no other test runs the whole system, then holds the lock.
 *
 * @throws Error when another test held it for all of `timeoutMs`.
 */
async function lockWholeSystem(timeoutMs: number): Promise<SystemLock> {
  const client = new pg.Client({ connectionString: endpoints().DATABASE_URL });
  // A lost connection (a PostgreSQL restart) emits 'error': without a listener it would crash
  // the test worker. The lock went with the session; `release()` then finds it gone.
  client.on('error', (error) => {
    console.warn(`whole-system lock: connection lost: ${error.message}`);
  });
  await client.connect();
  try {
    await client.query(`set statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
    await client.query('select pg_advisory_lock($1)', [lockKey]);
    await client.query('set statement_timeout = 0');
  } catch (error) {
    await client.end();
    throw new Error(
      `another test kept the whole TrackOps system for ${timeoutMs} ms: ${(error as Error).message}`,
    );
  }
  return {
    async release() {
      await client.query('select pg_advisory_unlock($1)', [lockKey]).catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}

/** The system a test file runs, and how it ends it. */
export interface WholeSystem {
  system: RunningSystem;
  /**
   * Stops the services, removes the connectors (the demo keeps its own, meant to be looked at;
   * a test leaves the shared stack without walsenders that later tests — a PostgreSQL restart —
   * would wait on) and lets the next system test start. Idempotent.
   */
  release(): Promise<void>;
}

/**
 * Takes the system lock (waiting up to `waitMs` for another system test to end), then starts
 * the three services with `env` added to theirs; on a failed start the lock is released.
 */
export async function startWholeSystem(
  env: Record<string, string>,
  waitMs: number,
): Promise<WholeSystem> {
  const lock = await lockWholeSystem(waitMs);
  let system: RunningSystem;
  try {
    system = await startSystem(env);
  } catch (error) {
    await lock.release();
    throw error;
  }
  let released: Promise<void> | undefined;
  return {
    system,
    release: () =>
      (released ??= (async () => {
        try {
          try {
            await system.stop();
          } finally {
            // Even when a service failed to stop: no connector is left behind.
            for (const name of ['trackops-orders', 'trackops-inventory']) {
              await deleteConnector(system.stack.CONNECT_URL, name);
            }
          }
        } finally {
          await lock.release();
        }
      })()),
  };
}

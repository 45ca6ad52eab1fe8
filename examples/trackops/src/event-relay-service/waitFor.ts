import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Logger } from 'pino';

/**
 * Waits (bounded) until `tables` exist in the database behind `pool` — the database itself may
 * not exist yet either: its owning service creates and migrates it. Logs what it waits for
 * every few seconds; throws naming the missing tables after `timeoutMs`.
 */
export async function waitForTables(
  pool: pg.Pool,
  database: string,
  tables: readonly string[],
  options: { timeoutMs: number; logger: Logger; signal?: AbortSignal },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastLog = 0;
  for (;;) {
    let missing: string[] = [...tables];
    let problem: string | undefined;
    try {
      const { rows } = await pool.query<{ name: string; found: boolean }>(
        'select name, to_regclass(name) is not null as found from unnest($1::text[]) as name',
        [tables],
      );
      missing = rows.filter((row) => !row.found).map((row) => row.name);
    } catch (error) {
      // 3D000: the database does not exist yet.
      problem = (error as Error).message;
    }
    if (missing.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `gave up after ${options.timeoutMs} ms waiting for ${missing.join(', ')} in database ${database}${problem ? ` (${problem})` : ''}; start the service that owns it`,
      );
    }
    if (Date.now() - lastLog > 5_000) {
      lastLog = Date.now();
      options.logger.info({ database, missing, problem }, 'waiting for tables');
    }
    await sleep(500, undefined, { signal: options.signal });
  }
}

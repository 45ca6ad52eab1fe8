import type { Queryable } from '@trackops/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectError } from './connectError.js';

/**
 * A replication slot and how much WAL it holds back, from {@link slotLag}.
 *
 * Byte counts are `bigint`: `pg_wal_lsn_diff` returns `numeric`, and although a lag beyond
 * 2^53 bytes (8 PiB) is not realistic, a `bigint` is exact and cannot silently round. Use
 * `Number(lag.retainedWalBytes)` for a metric gauge.
 */
export interface SlotLag {
  /** The slot's name. */
  readonly slotName: string;
  /** Its output plugin (`pgoutput` for Debezium's default), `null` for a physical slot. */
  readonly plugin: string | null;
  /** `logical` or `physical`. */
  readonly slotType: string;
  /** The database a logical slot belongs to, `null` for a physical slot. */
  readonly database: string | null;
  /** Whether a consumer (the connector's task) is connected to it right now. */
  readonly active: boolean;
  /** The server process reading it, when active. */
  readonly activePid: number | null;
  /**
   * WAL the server must keep for this slot: `pg_current_wal_lsn() - restart_lsn`. This is the
   * disk the slot costs; it grows without bound while the slot is inactive or its consumer
   * is paused, up to `max_slot_wal_keep_size`.
   */
  readonly retainedWalBytes: bigint | null;
  /**
   * How far the consumer's acknowledged position is behind the server:
   * `pg_current_wal_lsn() - confirmed_flush_lsn`. For Debezium that is what Kafka has not yet
   * committed. `null` for a physical slot.
   */
  readonly confirmedLagBytes: bigint | null;
  /**
   * PostgreSQL's `wal_status`: `reserved` or `extended` (fine), `unreserved` (the slot's WAL
   * exceeds `max_slot_wal_keep_size` and will be removed at the next checkpoint unless the
   * connector catches up), or `lost` (WAL the slot needed was removed: the connector can no
   * longer resume — it needs a new slot and a new snapshot).
   */
  readonly walStatus: 'reserved' | 'extended' | 'unreserved' | 'lost' | null;
}

const lagSql = `
select slot_name,
       plugin,
       slot_type,
       database,
       active,
       active_pid,
       pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::text as retained_wal_bytes,
       pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text as confirmed_lag_bytes,
       wal_status
  from pg_replication_slots
 where $1::text is null or slot_name = $1::text
 order by slot_name`;

interface LagRow extends Record<string, unknown> {
  slot_name: string;
  plugin: string | null;
  slot_type: string;
  database: string | null;
  active: boolean;
  active_pid: number | null;
  retained_wal_bytes: string | null;
  confirmed_lag_bytes: string | null;
  wal_status: SlotLag['walStatus'];
}

/** Options of {@link slotLag}. */
export interface SlotLagOptions {
  /** Only this slot. @defaultValue every slot of the server */
  readonly slotName?: string;
}

/**
 * The replication slots of the server `db` is connected to, with the WAL each holds back.
 * Slots are per server, so any database on it gives the same answer. Runs on a primary
 * (`pg_current_wal_lsn()` fails on a standby).
 *
 * @param db - A `pg.Pool`, client, or anything with `query()`; the role needs to read
 *   `pg_replication_slots` (any role can).
 * @param options - Which slot.
 * @returns One entry per slot, by name; an empty array if `slotName` does not exist.
 *
 * @example
 * ```ts
 * const [lag] = await slotLag(pool, { slotName: 'orders_cdc' });
 * if (lag && !lag.active) logger.warn({ bytes: Number(lag.retainedWalBytes) }, 'slot inactive');
 * ```
 */
export async function slotLag(db: Queryable, options: SlotLagOptions = {}): Promise<SlotLag[]> {
  const { rows } = await db.query<LagRow>(lagSql, [options.slotName ?? null]);
  return rows.map((row) => ({
    slotName: row.slot_name,
    plugin: row.plugin,
    slotType: row.slot_type,
    database: row.database,
    active: row.active,
    activePid: row.active_pid,
    retainedWalBytes: bytes(row.retained_wal_bytes),
    confirmedLagBytes: bytes(row.confirmed_lag_bytes),
    walStatus: row.wal_status,
  }));
}

function bytes(text: string | null): bigint | null {
  // pg_wal_lsn_diff is numeric and always integral; `::text` keeps every digit.
  return text === null ? null : BigInt(text);
}

/** Options of {@link waitForActiveSlot}. */
export interface WaitForSlotOptions {
  /** Give up after this long. @defaultValue 60000 */
  readonly timeoutMs?: number;
  /** Time between checks. @defaultValue 200 */
  readonly pollIntervalMs?: number;
  /** Stops waiting when aborted. */
  readonly signal?: AbortSignal;
}

/**
 * Waits until a replication slot exists and a consumer is reading it. Kafka Connect reports a
 * Debezium connector RUNNING before its task has created the slot; with `snapshot.mode=no_data`
 * rows committed in that window are never streamed, so wait for this before writing.
 *
 * @param db - Any connection to the server (slots are per server).
 * @param slotName - The connector's `slot.name`.
 * @param options - Timeout, poll interval, abort signal.
 * @throws ConnectError `CONNECT_TIMEOUT` when the slot is not active in time.
 */
export async function waitForActiveSlot(
  db: Queryable,
  slotName: string,
  options: WaitForSlotOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    options.signal?.throwIfAborted();
    const { rows } = await db.query<{ active: boolean }>(
      'select active from pg_replication_slots where slot_name = $1',
      [slotName],
    );
    if (rows[0]?.active) return;
    if (Date.now() >= deadline) {
      throw new ConnectError({
        code: 'CONNECT_TIMEOUT',
        message: `replication slot "${slotName}" ${rows.length === 0 ? 'does not exist' : 'is not active'} after ${timeoutMs} ms`,
      });
    }
    await sleep(options.pollIntervalMs ?? 200, undefined, {
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }
}

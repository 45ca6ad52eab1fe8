import { optionTypes, parseOptions, type Queryable } from '@trackops/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type {
  ConnectClient,
  ConnectorConfig,
  ConnectorDefinition,
  ConnectorStatus,
} from './connectClient.js';
import { ConnectError, type ConnectFieldError } from './connectError.js';
import { waitForActiveSlot } from './slots.js';

const POSTGRES_CONNECTOR = 'io.debezium.connector.postgresql.PostgresConnector';

const queryable = () =>
  z.custom<Queryable>((value) => typeof (value as Queryable | undefined)?.query === 'function', {
    message: 'must be a pg.Pool or client (query())',
  });

/** Options of {@link ensureConnector}. */
export const ensureConnectorOptionsSchema = z
  .object({
    /** How long to wait for RUNNING (and for the slot). @defaultValue 60000 */
    timeoutMs: z.int().positive().default(60_000),
    /** Time between status checks. @defaultValue 250 */
    pollIntervalMs: z.int().positive().default(250),
    /**
     * For a Debezium PostgreSQL connector: also wait until its replication slot (`slot.name`,
     * Debezium's default `debezium` if unset) is active, through this connection to the
     * captured server. Connect reports RUNNING before the task has created the slot, and with
     * `snapshot.mode=no_data` rows committed in that window are never streamed. The caller
     * owns the connection; a URL is not accepted because this package opens no connections.
     */
    waitForSlot: z.object({ db: queryable() }).strict().optional(),
    /** Stops waiting when aborted (the connector stays as it is). */
    signal: optionTypes.signal().optional(),
  })
  .strict();

/** Options of {@link ensureConnector}; see {@link ensureConnectorOptionsSchema}. */
export type EnsureConnectorOptions = z.input<typeof ensureConnectorOptionsSchema>;

/** What {@link ensureConnector} did. */
export interface EnsureConnectorResult {
  /** The connector's name. */
  readonly name: string;
  /** `unchanged` when the stored configuration already equalled the given one (no PUT made). */
  readonly action: 'created' | 'updated' | 'unchanged';
  /** The status that showed the connector and all its tasks RUNNING. */
  readonly status: ConnectorStatus;
}

/**
 * Creates or updates a connector and waits until it and all its tasks are RUNNING.
 *
 * Idempotent: when Connect already holds exactly this configuration nothing is sent, so the
 * connector is not restarted. A configuration Connect refuses throws
 * `CONNECTOR_INVALID_CONFIG` with the rejected fields; a connector or task that turns FAILED
 * throws `CONNECTOR_FAILED` with the worker's trace (a FAILED connector is not restarted:
 * fix the cause, then `client.restart(name, { includeTasks: true, onlyFailed: true })`). A
 * PAUSED or STOPPED connector is left so, and the wait ends with `CONNECT_TIMEOUT`.
 *
 * After an update, Connect restarts the tasks asynchronously: for a moment the status may
 * still show the old tasks RUNNING, so the result can come before the new configuration is in
 * effect. No change is lost by it — the restarted task resumes from the committed offsets.
 *
 * @param client - From {@link createConnectClient}.
 * @param definition - `{ name, config }`, e.g. from {@link postgresConnectorConfig}.
 * @param options - Timeout, slot wait, abort signal.
 *
 * @example
 * ```ts
 * const connector = postgresConnectorConfig({ name: 'orders-cdc', databaseUrl, topicPrefix: 'orders', tables: ['public.orders'] });
 * await ensureConnector(connect, connector, { waitForSlot: { db: pool } });
 * ```
 */
export async function ensureConnector(
  client: ConnectClient,
  definition: ConnectorDefinition,
  options: EnsureConnectorOptions = {},
): Promise<EnsureConnectorResult> {
  const resolved = parseOptions(ensureConnectorOptionsSchema, options, 'ensureConnector');
  const { name, config } = definition;
  const deadline = Date.now() + resolved.timeoutMs;

  const existing = await client.getConfig(name);
  let action: EnsureConnectorResult['action'];
  if (existing !== undefined && sameConfig(existing, { ...config, name })) {
    action = 'unchanged';
  } else {
    try {
      const info = await client.putConfig(name, config);
      action = info.created ? 'created' : 'updated';
    } catch (error) {
      if (error instanceof ConnectError && error.status === 400) {
        throw new ConnectError({
          code: 'CONNECTOR_INVALID_CONFIG',
          message: `Kafka Connect refused the configuration of connector "${name}": ${error.message}`,
          status: 400,
          connector: name,
          fieldErrors: await fieldErrors(client, { ...config, name }),
          cause: error,
        });
      }
      throw error;
    }
  }

  const status = await waitForRunning(client, name, deadline, resolved);
  if (resolved.waitForSlot && config['connector.class'] === POSTGRES_CONNECTOR) {
    await waitForActiveSlot(resolved.waitForSlot.db, config['slot.name'] ?? 'debezium', {
      timeoutMs: Math.max(1, deadline - Date.now()),
      ...(resolved.signal ? { signal: resolved.signal } : {}),
    });
  }
  return { name, action, status };
}

/** Connect stores the configuration with `name` added; compare as it stores it. */
function sameConfig(stored: ConnectorConfig, desired: ConnectorConfig): boolean {
  const keys = Object.keys(stored);
  return (
    keys.length === Object.keys(desired).length && keys.every((key) => stored[key] === desired[key])
  );
}

// Connect's 400 message already lists the problems as text; the validate endpoint gives them
// per field. Best effort: if validation itself fails, the message is still there.
async function fieldErrors(
  client: ConnectClient,
  config: ConnectorConfig,
): Promise<ConnectFieldError[]> {
  try {
    return [...(await client.validate(config)).errors];
  } catch {
    return [];
  }
}

async function waitForRunning(
  client: ConnectClient,
  name: string,
  deadline: number,
  options: { pollIntervalMs: number; timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<ConnectorStatus> {
  let last: ConnectorStatus | undefined;
  for (;;) {
    options.signal?.throwIfAborted();
    last = await client.status(name);
    if (last !== undefined) {
      const failed = [
        { what: 'connector', unit: last.connector },
        ...last.tasks.map((task) => ({ what: `task ${task.id}`, unit: task })),
      ].find(({ unit }) => unit.state === 'FAILED');
      if (failed) {
        const trace = failed.unit.trace ?? '(the worker gave no trace)';
        throw new ConnectError({
          code: 'CONNECTOR_FAILED',
          message: `connector "${name}": ${failed.what} FAILED on ${failed.unit.workerId}: ${summarize(trace)}`,
          connector: name,
          trace,
        });
      }
      if (
        last.connector.state === 'RUNNING' &&
        last.tasks.length > 0 &&
        last.tasks.every((task) => task.state === 'RUNNING')
      ) {
        return last;
      }
    }
    if (Date.now() >= deadline) {
      const states = last
        ? `connector ${last.connector.state}, tasks [${last.tasks.map((task) => task.state).join(', ')}]`
        : 'not listed';
      throw new ConnectError({
        code: 'CONNECT_TIMEOUT',
        message: `connector "${name}" not RUNNING after ${options.timeoutMs} ms (${states})`,
        connector: name,
      });
    }
    await sleep(options.pollIntervalMs, undefined, {
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }
}

// A Java trace's first line is the outermost exception; the last `Caused by:` is usually the
// reason (Debezium wraps "No table filters found …" in "Unable to create filtered publication").
function summarize(trace: string): string {
  const lines = trace.split('\n');
  const first = lines[0]?.trim() ?? '';
  const cause = lines.filter((line) => line.startsWith('Caused by: ')).at(-1);
  const text = cause === undefined ? first : `${first} … ${cause}`;
  return text.length > 1000 ? `${text.slice(0, 997)}...` : text;
}

/** Options of {@link deleteConnector}. */
export interface DeleteConnectorOptions {
  /** How long to wait until Connect no longer lists it. @defaultValue 30000 */
  readonly timeoutMs?: number;
  /** Time between checks. @defaultValue 200 */
  readonly pollIntervalMs?: number;
}

/**
 * Deletes a connector and waits until Connect no longer lists it. Its replication slot stays
 * (inactive, holding WAL): drop it separately when nothing will resume from it — see the
 * package README, "Operations".
 *
 * @returns `false` if there was no such connector.
 * @throws ConnectError `CONNECT_TIMEOUT` if it is still listed after `timeoutMs`.
 */
export async function deleteConnector(
  client: ConnectClient,
  name: string,
  options: DeleteConnectorOptions = {},
): Promise<boolean> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const existed = await client.delete(name);
  while ((await client.status(name)) !== undefined) {
    if (Date.now() >= deadline) {
      throw new ConnectError({
        code: 'CONNECT_TIMEOUT',
        message: `connector "${name}" still listed ${timeoutMs} ms after DELETE`,
        connector: name,
      });
    }
    await sleep(options.pollIntervalMs ?? 200);
  }
  return existed;
}

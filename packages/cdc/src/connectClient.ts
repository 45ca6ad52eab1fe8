import { describeIssues, optionTypes, parseOptions } from '@trackops/core';
import { z } from 'zod';
import { ConnectError, type ConnectFieldError } from './connectError.js';

/** Options of {@link createConnectClient}. */
export const connectClientOptionsSchema = z
  .object({
    /** Kafka Connect's REST endpoint, e.g. `http://connect:8083`. */
    url: z.url({ protocol: /^https?$/ }),
    /**
     * The `fetch` to use (a wrapper adding authentication headers, say).
     *
     * @defaultValue the global `fetch`
     */
    fetch: optionTypes.fn<typeof fetch>().optional(),
    /**
     * How long one request may take before it fails with `CONNECT_UNREACHABLE`. Connect itself
     * gives up on a request forwarded to the leader after 90 s.
     *
     * @defaultValue 30000
     */
    timeoutMs: z.int().positive().default(30_000),
  })
  .strict();

/** Options of {@link createConnectClient}; see {@link connectClientOptionsSchema}. */
export type ConnectClientOptions = z.input<typeof connectClientOptionsSchema>;

/** A connector configuration as Connect stores it: every value a string. */
export type ConnectorConfig = Record<string, string>;

/** A connector as Kafka Connect's REST API takes it (`PUT /connectors/{name}/config`). */
export interface ConnectorDefinition {
  /** The connector's name, unique in the Connect cluster. */
  readonly name: string;
  /** Its configuration, `connector.class` included. */
  readonly config: ConnectorConfig;
}

/** The state of a connector or task as Connect reports it. */
export type ConnectorState =
  'UNASSIGNED' | 'RUNNING' | 'PAUSED' | 'STOPPED' | 'FAILED' | 'RESTARTING';

/** The state of a connector or of one of its tasks. */
export interface ConnectorUnitStatus {
  /** See {@link ConnectorState}. */
  readonly state: ConnectorState;
  /** The worker running it, `host:port`. */
  readonly workerId: string;
  /** The worker's stack trace when `state` is `FAILED`. */
  readonly trace?: string;
}

/** A task's state; see {@link ConnectorUnitStatus}. */
export interface TaskStatus extends ConnectorUnitStatus {
  /** The task number, from 0. */
  readonly id: number;
}

/** `GET /connectors/{name}/status`. */
export interface ConnectorStatus {
  /** The connector's name. */
  readonly name: string;
  /** `source` or `sink` (absent while the connector is being created). */
  readonly type?: string;
  /** The connector itself. */
  readonly connector: ConnectorUnitStatus;
  /** Its tasks; empty until the connector has generated their configurations. */
  readonly tasks: readonly TaskStatus[];
}

/** A task's configuration, from `GET /connectors/{name}/tasks`. */
export interface TaskInfo {
  /** The task number, from 0. */
  readonly task: number;
  /** The configuration the connector generated for it. */
  readonly config: ConnectorConfig;
}

/** `PUT /connectors/{name}/config`'s answer. */
export interface ConnectorInfo {
  /** The connector's name. */
  readonly name: string;
  /** Its configuration as stored (Connect adds `name`). */
  readonly config: ConnectorConfig;
  /** Its tasks' numbers (empty right after creation). */
  readonly tasks: readonly number[];
  /** `source` or `sink`, when known. */
  readonly type?: string;
  /** `true` if the PUT created the connector, `false` if it updated it. */
  readonly created: boolean;
}

/** An installed connector plugin, from `GET /connector-plugins`. */
export interface ConnectorPlugin {
  /** The connector class, e.g. `io.debezium.connector.postgresql.PostgresConnector`. */
  readonly class: string;
  /** `source` or `sink`. */
  readonly type: string;
  /** The plugin's version, e.g. `3.2.7.Final`. */
  readonly version?: string;
}

/** One field of a validation, from `PUT /connector-plugins/{class}/config/validate`. */
export interface ConfigFieldValidation {
  /** The configuration key. */
  readonly name: string;
  /** The value given for it, `null` when none was (Connect does not fill in defaults here). */
  readonly value: string | null;
  /** Connect's messages for this field; empty when it is valid. */
  readonly errors: readonly string[];
}

/** The result of {@link ConnectClient.validate}. */
export interface ConfigValidation {
  /** The connector class validated against. */
  readonly connectorClass: string;
  /** How many errors Connect found. */
  readonly errorCount: number;
  /** Every field Connect knows of, with its value and errors. */
  readonly fields: readonly ConfigFieldValidation[];
  /** Only the fields with errors. */
  readonly errors: readonly ConnectFieldError[];
}

/** Options of {@link ConnectClient.restart}. */
export interface RestartOptions {
  /** Restart the tasks too, not only the connector. @defaultValue `false` */
  readonly includeTasks?: boolean;
  /** Restart only what is FAILED. @defaultValue `false` */
  readonly onlyFailed?: boolean;
}

/**
 * A typed client of Kafka Connect's REST API. Every method throws {@link ConnectError}:
 * `CONNECT_UNREACHABLE` when Connect does not answer, `CONNECT_REQUEST_FAILED` (with the status
 * and Connect's message) when it answers with an error.
 */
export interface ConnectClient {
  /** The REST endpoint, without a trailing `/`. */
  readonly url: string;
  /** Every connector with its status (`GET /connectors?expand=status`). */
  listConnectors(): Promise<ConnectorStatus[]>;
  /** A connector's configuration, or `undefined` if there is no such connector. */
  getConfig(name: string): Promise<ConnectorConfig | undefined>;
  /** Creates or replaces a connector's configuration (`PUT /connectors/{name}/config`). */
  putConfig(name: string, config: ConnectorConfig): Promise<ConnectorInfo>;
  /** A connector's status, or `undefined` if there is no such connector. */
  status(name: string): Promise<ConnectorStatus | undefined>;
  /** A connector's tasks and their configurations. */
  tasks(name: string): Promise<TaskInfo[]>;
  /** Restarts a connector (and with `includeTasks`, its tasks). */
  restart(name: string, options?: RestartOptions): Promise<void>;
  /** Pauses a connector and its tasks; they stop processing but keep their resources. */
  pause(name: string): Promise<void>;
  /** Resumes a paused (or stopped) connector. */
  resume(name: string): Promise<void>;
  /** Deletes a connector; `false` if there was none. Returns before its tasks have stopped. */
  delete(name: string): Promise<boolean>;
  /** The installed connector plugins (`GET /connector-plugins`). */
  plugins(): Promise<ConnectorPlugin[]>;
  /**
   * Validates a configuration without creating anything. Debezium's connectors also try the
   * database connection here, so a wrong password or database shows up as a field error (on
   * `database.hostname`). Connect requires `name` in the configuration; without it, `name` is
   * reported as an error.
   */
  validate(config: ConnectorConfig): Promise<ConfigValidation>;
}

// Connect's wire shapes, read once here so the rest of the package sees camelCase types.
const stateSchema = z.union([
  z.literal('UNASSIGNED'),
  z.literal('RUNNING'),
  z.literal('PAUSED'),
  z.literal('STOPPED'),
  z.literal('FAILED'),
  z.literal('RESTARTING'),
]);
const unitWire = {
  state: stateSchema,
  worker_id: z.string(),
  trace: z.string().optional(),
};
const statusWire = z
  .object({
    name: z.string(),
    type: z.string().optional(),
    connector: z.object(unitWire),
    tasks: z.array(z.object({ id: z.int(), ...unitWire })),
  })
  .transform((wire): ConnectorStatus => ({
    name: wire.name,
    ...(wire.type === undefined ? {} : { type: wire.type }),
    connector: unit(wire.connector),
    tasks: wire.tasks.map((task) => ({ id: task.id, ...unit(task) })),
  }));
function unit(wire: { state: ConnectorState; worker_id: string; trace?: string | undefined }) {
  return {
    state: wire.state,
    workerId: wire.worker_id,
    ...(wire.trace === undefined ? {} : { trace: wire.trace }),
  };
}
const configWire = z.record(z.string(), z.string());
const infoWire = z.object({
  name: z.string(),
  config: configWire,
  tasks: z.array(z.object({ connector: z.string(), task: z.int() })),
  type: z.string().optional(),
});
const tasksWire = z.array(
  z.object({ id: z.object({ connector: z.string(), task: z.int() }), config: configWire }),
);
const pluginsWire = z.array(
  z.object({ class: z.string(), type: z.string(), version: z.string().optional() }),
);
const validationWire = z.object({
  name: z.string(),
  error_count: z.int(),
  configs: z.array(
    z.object({
      value: z.object({
        name: z.string(),
        value: z.string().nullable().optional(),
        errors: z.array(z.string()),
      }),
    }),
  ),
});
const listWire = z.record(z.string(), z.object({ status: statusWire }));
const errorWire = z.object({ message: z.string() });

/**
 * Creates a {@link ConnectClient}. It opens no connection of its own beyond the HTTP requests
 * each call makes.
 *
 * @example
 * ```ts
 * const connect = createConnectClient({ url: 'http://connect:8083' });
 * for (const status of await connect.listConnectors()) {
 *   console.log(status.name, status.connector.state, status.tasks.map((task) => task.state));
 * }
 * ```
 */
export function createConnectClient(options: ConnectClientOptions): ConnectClient {
  const resolved = parseOptions(connectClientOptionsSchema, options, 'createConnectClient');
  const base = resolved.url.replace(/\/+$/, '');
  const doFetch = resolved.fetch ?? globalThis.fetch;
  const path = (name: string) => `/connectors/${encodeURIComponent(name)}`;

  async function request(
    method: string,
    target: string,
    body?: unknown,
    connector?: string,
  ): Promise<{ status: number; json: unknown }> {
    let response: Response;
    let text: string;
    try {
      response = await doFetch(`${base}${target}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(resolved.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      throw new ConnectError({
        code: 'CONNECT_UNREACHABLE',
        message: `${method} ${base}${target}: ${timedOut ? `no answer within ${resolved.timeoutMs} ms` : `Kafka Connect is unreachable (${error instanceof Error ? error.message : String(error)})`}`,
        ...(connector === undefined ? {} : { connector }),
        cause: error,
      });
    }
    let json: unknown = undefined;
    if (text.length > 0) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    if (!response.ok) {
      const parsed = errorWire.safeParse(json);
      const detail = parsed.success ? parsed.data.message : text.slice(0, 500) || '(no body)';
      throw new ConnectError({
        code: 'CONNECT_REQUEST_FAILED',
        message: `${method} ${target} failed with HTTP ${response.status}: ${detail}`,
        status: response.status,
        ...(connector === undefined ? {} : { connector }),
      });
    }
    return { status: response.status, json };
  }

  function read<S extends z.ZodType>(schema: S, json: unknown, what: string): z.output<S> {
    const result = schema.safeParse(json);
    if (result.success) return result.data;
    throw new ConnectError({
      code: 'CONNECT_INVALID_RESPONSE',
      message: `unexpected answer from Kafka Connect to ${what}: ${describeIssues(result.error)}`,
      cause: result.error,
    });
  }

  // GETs of one connector answer 404 when there is none; that is a value, not an error.
  async function getOrUndefined(target: string, name: string): Promise<unknown> {
    try {
      return (await request('GET', target, undefined, name)).json;
    } catch (error) {
      if (error instanceof ConnectError && error.status === 404) return undefined;
      throw error;
    }
  }

  return {
    url: base,
    async listConnectors() {
      const { json } = await request('GET', '/connectors?expand=status');
      return Object.values(read(listWire, json, 'GET /connectors?expand=status')).map(
        (entry) => entry.status,
      );
    },
    async getConfig(name) {
      const json = await getOrUndefined(`${path(name)}/config`, name);
      return json === undefined ? undefined : read(configWire, json, `GET ${path(name)}/config`);
    },
    async putConfig(name, config) {
      const { status, json } = await request('PUT', `${path(name)}/config`, config, name);
      const info = read(infoWire, json, `PUT ${path(name)}/config`);
      return {
        name: info.name,
        config: info.config,
        tasks: info.tasks.map((task) => task.task),
        ...(info.type === undefined ? {} : { type: info.type }),
        created: status === 201,
      };
    },
    async status(name) {
      const json = await getOrUndefined(`${path(name)}/status`, name);
      return json === undefined ? undefined : read(statusWire, json, `GET ${path(name)}/status`);
    },
    async tasks(name) {
      const { json } = await request('GET', `${path(name)}/tasks`, undefined, name);
      return read(tasksWire, json, `GET ${path(name)}/tasks`).map((task) => ({
        task: task.id.task,
        config: task.config,
      }));
    },
    async restart(name, restartOptions = {}) {
      const query = new URLSearchParams({
        includeTasks: String(restartOptions.includeTasks ?? false),
        onlyFailed: String(restartOptions.onlyFailed ?? false),
      });
      await request('POST', `${path(name)}/restart?${query.toString()}`, undefined, name);
    },
    async pause(name) {
      await request('PUT', `${path(name)}/pause`, undefined, name);
    },
    async resume(name) {
      await request('PUT', `${path(name)}/resume`, undefined, name);
    },
    async delete(name) {
      try {
        await request('DELETE', path(name), undefined, name);
        return true;
      } catch (error) {
        if (error instanceof ConnectError && error.status === 404) return false;
        throw error;
      }
    },
    async plugins() {
      const { json } = await request('GET', '/connector-plugins');
      return read(pluginsWire, json, 'GET /connector-plugins').map((plugin) => ({
        class: plugin.class,
        type: plugin.type,
        ...(plugin.version === undefined ? {} : { version: plugin.version }),
      }));
    },
    async validate(config) {
      const connectorClass = config['connector.class'];
      if (connectorClass === undefined) {
        throw new ConnectError({
          code: 'CONNECTOR_INVALID_CONFIG',
          message: 'validate: the configuration has no connector.class',
          fieldErrors: [{ field: 'connector.class', messages: ['is required'] }],
        });
      }
      // Connect 3.x answers a plugin's short name too, but the full class is what configs hold.
      const target = `/connector-plugins/${encodeURIComponent(connectorClass)}/config/validate`;
      const { json } = await request('PUT', target, config);
      const validation = read(validationWire, json, `PUT ${target}`);
      const fields = validation.configs.map(({ value }) => ({
        name: value.name,
        value: value.value ?? null,
        errors: value.errors,
      }));
      return {
        connectorClass: validation.name,
        errorCount: validation.error_count,
        fields,
        errors: fields
          .filter((field) => field.errors.length > 0)
          .map((field) => ({ field: field.name, messages: field.errors })),
      };
    },
  };
}

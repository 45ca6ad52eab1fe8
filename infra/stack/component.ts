import { tailFile } from './process.js';

/** What `status` reports for one component. */
export interface ComponentStatus {
  name: string;
  /** The environment variable that overrides this component's endpoint. */
  envVar: Component['envVar'];
  /** `own`: started by this stack under .stack/; `external`: given by an env URL. */
  mode: 'own' | 'external';
  endpoint: string;
  healthy: boolean;
  version?: string | undefined;
  pid?: number | undefined;
  port?: number | undefined;
  detail?: string | undefined;
}

/** One server of the stack: PostgreSQL, Redis, Kafka or Connect. */
export interface Component {
  /** Name shown to people ("PostgreSQL", "Kafka", …). */
  readonly name: string;
  /** The environment variable that points the stack at an existing server instead. */
  readonly envVar: 'DATABASE_URL' | 'REDIS_URL' | 'KAFKA_BROKERS' | 'CONNECT_URL';
  /** The value written to `.stack/env` (and read by tests) for this component. */
  endpoint(): string;
  /** True when the endpoint came from the environment, so the stack must not manage it. */
  external(): boolean;
  /** Installs what is missing and starts the server unless it already runs; waits until ready. */
  up(): Promise<void>;
  /** Stops the server if this stack started it. */
  down(): Promise<void>;
  /** Checks readiness the way clients will use the server. */
  status(): Promise<ComponentStatus>;
  /** Where its log is, for error messages. */
  readonly logFile?: string;
}

/** A component failed to start or answer: names it, says how to start it, shows its log. */
export class StackComponentError extends Error {
  constructor(
    readonly component: string,
    message: string,
    readonly logTail?: string,
    /** Set when the server was named by an env var: the stack does not start those. */
    readonly externalVar?: string,
  ) {
    super(
      `${component} is not available: ${message}\n` +
        (externalVar
          ? `It was given by ${externalVar}: start that server, or unset ${externalVar} to use the project's own (npm run stack -- up)`
          : `Start it with: npm run stack -- up   (status: npm run stack -- status)`) +
        (logTail ? `\n--- last lines of the ${component} log ---\n${logTail}` : ''),
    );
    this.name = 'StackComponentError';
  }
}

/** The fields of a status every component fills the same way. */
export function baseStatus(
  component: Component,
  port: number,
  pid: number | undefined,
): Pick<ComponentStatus, 'name' | 'envVar' | 'mode' | 'endpoint' | 'port' | 'pid'> {
  const external = component.external();
  return {
    name: component.name,
    envVar: component.envVar,
    mode: external ? 'external' : 'own',
    endpoint: component.endpoint(),
    port: external ? undefined : port,
    pid,
  };
}

/**
 * The error for a component that did not come up: the tail of its log when the stack runs
 * it, or the env var that named it when it is external.
 */
export function notAvailable(component: Component, message: string): StackComponentError {
  if (component.external())
    return new StackComponentError(component.name, message, undefined, component.envVar);
  return new StackComponentError(
    component.name,
    message,
    component.logFile ? tailFile(component.logFile) : undefined,
  );
}

import path from 'node:path';
import { stackDir } from './config.js';
import { livePid, tailFile, terminate, waitUntil } from './process.js';

/** The environment variables that point the stack at servers it must not manage. */
export type EndpointVar = 'DATABASE_URL' | 'REDIS_URL' | 'KAFKA_BROKERS' | 'CONNECT_URL';

/** What `status` reports for one component. */
export interface ComponentStatus {
  name: string;
  /** The environment variable that overrides this component's endpoint. */
  envVar: EndpointVar;
  /** `own`: started by this stack under .stack/; `external`: given by an env URL. */
  mode: 'own' | 'external';
  endpoint: string;
  healthy: boolean;
  version?: string | undefined;
  pid?: number | undefined;
  port?: number | undefined;
  detail?: string | undefined;
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

/**
 * One server of the stack (PostgreSQL, Redis, Kafka or Connect). The lifecycle is shared:
 * a server named by its env var is only probed; otherwise `up` starts it unless its recorded
 * pid is alive, then probes until ready, ending early if the process dies while starting.
 */
export abstract class Server {
  /** Name shown to people ("PostgreSQL", "Kafka", …). */
  abstract readonly name: string;
  abstract readonly envVar: EndpointVar;
  /** The loopback port of the stack's own server. */
  abstract readonly port: number;
  /** How long a start may take before it counts as failed. */
  protected abstract readonly startTimeoutMs: number;
  /** How long `down` waits after SIGTERM before SIGKILL. */
  protected readonly stopGraceMs: number = 10_000;

  /** @param key folder name under .stack/ and base name of its log and pid files. */
  constructor(protected readonly key: string) {}

  get dir(): string {
    return path.join(stackDir, this.key);
  }

  get logFile(): string {
    return path.join(this.dir, `${this.key}.log`);
  }

  protected get pidFile(): string {
    return path.join(this.dir, `${this.key}.pid`);
  }

  /** The endpoint of the stack's own server. */
  protected abstract ownEndpoint(): string;

  /** Installs what is missing, prepares data, and launches the server process. */
  protected abstract start(): void;

  /** Resolves (to anything truthy) once the server serves clients; throws or falsy if not. */
  protected abstract probe(): Promise<unknown>;

  /** Version, health and detail as the probe of `status` sees them. */
  protected abstract inspect(): Promise<Pick<ComponentStatus, 'healthy' | 'version' | 'detail'>>;

  /** True when the endpoint came from the environment, so the stack must not manage it. */
  external(): boolean {
    return Boolean(process.env[this.envVar]);
  }

  /** The value written to `.stack/env` (and read by tests) for this component. */
  endpoint(): string {
    return process.env[this.envVar] || this.ownEndpoint();
  }

  /** The pid of the stack's own server, if it runs. */
  pid(): number | undefined {
    return livePid(this.pidFile);
  }

  /** While starting: false once the started process is known to have exited. */
  protected running(): boolean {
    return this.pid() !== undefined;
  }

  /** Starts the server unless it already runs (or is external), then waits until ready. */
  async up(): Promise<void> {
    const own = !this.external();
    if (own && this.pid() === undefined) {
      try {
        this.start();
      } catch (error) {
        throw this.notAvailable((error as Error).message);
      }
    }
    await waitUntil(`${this.name} at ${this.endpoint()}`, () => this.probe().then(Boolean), {
      timeoutMs: own ? this.startTimeoutMs : 10_000,
      intervalMs: 500,
      alive: own ? () => this.running() : undefined,
    }).catch((error: Error) => {
      throw this.notAvailable(error.message);
    });
  }

  /** Stops the server if this stack started it. */
  async down(): Promise<void> {
    const pid = this.pid();
    if (!this.external() && pid) await terminate(pid, this.stopGraceMs);
  }

  async status(): Promise<ComponentStatus> {
    const external = this.external();
    const base = {
      name: this.name,
      envVar: this.envVar,
      mode: external ? ('external' as const) : ('own' as const),
      endpoint: this.endpoint(),
      port: external ? undefined : this.port,
      pid: this.pid(),
    };
    try {
      return { ...base, ...(await this.inspect()) };
    } catch (error) {
      return { ...base, healthy: false, detail: (error as Error).message };
    }
  }

  /**
   * The error for a server that did not come up: with the tail of its log when the stack
   * runs it, or the env var that named it when it is external.
   */
  notAvailable(message: string): StackComponentError {
    if (this.external()) return new StackComponentError(this.name, message, undefined, this.envVar);
    return new StackComponentError(this.name, message, tailFile(this.logFile));
  }
}

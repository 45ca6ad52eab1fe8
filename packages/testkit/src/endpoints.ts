import { describeIssues } from '@trackops/core';
import { z } from 'zod';
import { TestkitError } from './errors.js';

/**
 * Where the servers of a test run are: PostgreSQL (with `wal_level=logical`), Kafka, Redis and
 * Kafka Connect with the Debezium PostgreSQL connector. The names are the environment variables
 * that set them.
 */
export interface StackEndpoints {
  /** PostgreSQL server as the tests connect to it, e.g. `postgres://postgres@127.0.0.1:5432/postgres`. */
  DATABASE_URL: string;
  /** Kafka bootstrap servers, comma-separated `host:port`. */
  KAFKA_BROKERS: string;
  /** Redis, e.g. `redis://127.0.0.1:6379`. */
  REDIS_URL: string;
  /** Kafka Connect's REST API, e.g. `http://127.0.0.1:8083`. */
  CONNECT_URL: string;
  /**
   * How Debezium, running inside Connect, reaches PostgreSQL. Equal to `DATABASE_URL` when both
   * see the server at the same address; differs when Connect runs in a container.
   */
  CONNECT_DATABASE_URL: string;
}

/**
 * A URL with one of the given schemes. The value is never echoed in the message: a database
 * URL may carry a password.
 */
function urlWith(schemes: readonly string[], example: string) {
  return z.string().refine(
    (value) => {
      try {
        return schemes.includes(new URL(value).protocol.slice(0, -1));
      } catch {
        return false;
      }
    },
    { message: `must be a ${schemes.join(' or ')} URL such as ${example}` },
  );
}

const postgresUrl = urlWith(['postgres', 'postgresql'], 'postgres://user@127.0.0.1:5432/postgres');

/** The endpoints as given: `CONNECT_DATABASE_URL` may be left out. */
export const stackEndpointsSchema = z
  .object({
    DATABASE_URL: postgresUrl,
    KAFKA_BROKERS: z.string().regex(/^\s*[^\s,:]+:\d+\s*(,\s*[^\s,:]+:\d+\s*)*$/, {
      message: 'must be comma-separated host:port pairs such as 127.0.0.1:9092',
    }),
    REDIS_URL: urlWith(['redis', 'rediss'], 'redis://127.0.0.1:6379'),
    CONNECT_URL: urlWith(['http', 'https'], 'http://127.0.0.1:8083'),
    /** @defaultValue `DATABASE_URL` */
    CONNECT_DATABASE_URL: postgresUrl.optional(),
  })
  .transform((given): StackEndpoints => ({
    ...given,
    // A trailing slash would double up in `${CONNECT_URL}/connectors`.
    CONNECT_URL: given.CONNECT_URL.replace(/\/+$/, ''),
    CONNECT_DATABASE_URL: given.CONNECT_DATABASE_URL ?? given.DATABASE_URL,
  }));

/** The endpoints {@link attachStack} accepts: `CONNECT_DATABASE_URL` defaults to `DATABASE_URL`. */
export type StackEndpointsInput = z.input<typeof stackEndpointsSchema>;

function parseEndpoints(input: unknown, source: string): StackEndpoints {
  const result = stackEndpointsSchema.safeParse(input);
  if (result.success) return result.data;
  throw new TestkitError({
    code: 'TESTKIT_INVALID_ENDPOINTS',
    message: `invalid stack endpoints ${source}: ${describeIssues(result.error)}`,
  });
}

/**
 * Attaches to servers you already run: checks the URLs are well formed and fills in
 * `CONNECT_DATABASE_URL`. Starts and contacts nothing (see {@link verifyStack} for that).
 *
 * @param endpoints - The servers' URLs.
 * @returns The endpoints, validated.
 * @throws {@link TestkitError} `INVALID_ENDPOINTS`, naming each malformed field.
 *
 * @example
 * ```ts
 * const stack = attachStack({
 *   DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
 *   KAFKA_BROKERS: '127.0.0.1:9092',
 *   REDIS_URL: 'redis://127.0.0.1:6379',
 *   CONNECT_URL: 'http://127.0.0.1:8083',
 * });
 * ```
 */
export function attachStack(endpoints: StackEndpointsInput): StackEndpoints {
  return parseEndpoints(endpoints, 'given to attachStack');
}

/** The environment variables {@link attachStackFromEnv} reads. */
const envVariables = [
  'DATABASE_URL',
  'KAFKA_BROKERS',
  'REDIS_URL',
  'CONNECT_URL',
  'CONNECT_DATABASE_URL',
] as const;

/**
 * Attaches to the servers the environment names: `DATABASE_URL`, `KAFKA_BROKERS`, `REDIS_URL`,
 * `CONNECT_URL` and, optionally, `CONNECT_DATABASE_URL`. An empty variable counts as unset.
 *
 * @param env - Where to read the variables.
 * @defaultValue `env`: `process.env`
 * @returns The endpoints, validated.
 * @throws {@link TestkitError} `INVALID_ENDPOINTS`, naming each missing or malformed variable.
 */
export function attachStackFromEnv(env: NodeJS.ProcessEnv = process.env): StackEndpoints {
  const given = Object.fromEntries(
    envVariables.flatMap((name) => {
      const value = env[name];
      return value ? [[name, value]] : [];
    }),
  );
  return parseEndpoints(given, 'from the environment');
}

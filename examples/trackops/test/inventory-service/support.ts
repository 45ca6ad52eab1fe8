/**
 * Test support for the example services (used by the inventory-service and event-relay-service
 * tests): a service configuration on the run's stack, tokens, and a small HTTP client.
 */
import { stackEndpoints } from '@trackops/testkit';
import { issueToken } from '../../src/shared/auth.js';
import { loadConfig, type ServiceConfig, type ServiceName } from '../../src/shared/config.js';

/** A configuration on the run's stack: a free port, quiet logs, a generous rate limit. */
export function testConfig(service: ServiceName, env: Record<string, string> = {}): ServiceConfig {
  const stack = stackEndpoints();
  return loadConfig(service, {
    DATABASE_URL: stack.DATABASE_URL,
    CONNECT_DATABASE_URL: stack.CONNECT_DATABASE_URL,
    KAFKA_BROKERS: stack.KAFKA_BROKERS,
    REDIS_URL: stack.REDIS_URL,
    CONNECT_URL: stack.CONNECT_URL,
    PORT: '0',
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
    RATE_LIMIT_PER_MINUTE: '10000',
    ...env,
  });
}

/** Bearer tokens of both roles. */
export async function tokens(config: ServiceConfig): Promise<{ admin: string; customer: string }> {
  return {
    admin: await issueToken(config.jwtSecret, 'admin', 'test-admin'),
    customer: await issueToken(config.jwtSecret, 'customer', 'test-customer'),
  };
}

/** A response: status, JSON body (or text), headers. */
export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

/** Calls `baseUrl + path` with an optional JSON body and bearer token. */
export async function call<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const response = await fetch(new URL(path.replace(/^\//, ''), baseUrl), {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: options.body === undefined ? null : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // Not JSON (Prometheus text, HTML docs).
  }
  return { status: response.status, body: body as T, text, headers: response.headers };
}

/** Polls `probe` until `accept` holds; rejects with the last value after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 20_000,
  what = 'the condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`${what} not reached within ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

import { Redis } from 'ioredis';
import type pg from 'pg';
import type { HttpApp } from './http.js';
import type { Logger } from 'pino';
import type { ServiceConfig } from './config.js';

/**
 * What a service acquired while starting, released in reverse order of acquisition — by
 * `stop()`, and at once when a later start step fails, so a failed start leaks nothing. A
 * failing release is logged and the others still run.
 */
export function createReleaseList(logger: Logger): {
  defer(release: () => Promise<unknown>): void;
  releaseAll(): Promise<void>;
} {
  const steps: Array<() => Promise<unknown>> = [];
  return {
    defer: (release) => void steps.push(release),
    async releaseAll() {
      for (const release of steps.splice(0).reverse()) {
        await release().catch((error: unknown) => logger.error({ err: error }, 'stop step failed'));
      }
    },
  };
}

/**
 * Logs the errors of a pool's idle connections: node-postgres re-emits them on the pool, and an
 * `'error'` event nobody listens to would crash the process (say when PostgreSQL restarts).
 */
export function watchPool(pool: pg.Pool, logger: Logger): pg.Pool {
  pool.on('error', (error) => logger.warn({ err: error }, 'idle database connection failed'));
  return pool;
}

/**
 * The service's ioredis client. Connection errors are logged at debug level only: reads fall
 * back to the database and the health check reports Redis DOWN, so they are not news.
 */
export function connectRedis(config: ServiceConfig, logger: Logger): Redis {
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', (error) => logger.debug({ err: error }, 'redis connection error'));
  return redis;
}

/** Starts listening on the configured host and port (0: a free one); the service's base URL. */
export async function listen(http: HttpApp, config: ServiceConfig): Promise<string> {
  await http.listen({ port: config.port, host: config.host });
  const address = http.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return `http://${config.host}:${port}/`;
}

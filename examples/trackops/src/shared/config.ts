import { endpoints } from '@trackops/stack';
import { z } from 'zod';

/** The three services, their default ports (as the original TrackOps) and databases. */
export const services = {
  'order-service': { port: 8081, database: 'trackops_orders' },
  'inventory-service': { port: 8082, database: 'trackops_inventory' },
  'event-relay-service': { port: 8084, database: 'trackops_event_relay' },
} as const;

export type ServiceName = keyof typeof services;

const configSchema = z.object({
  /** The PostgreSQL server (any database); the service connects to its own database on it. */
  databaseUrl: z.url({ protocol: /^postgres(ql)?$/ }),
  /** How Kafka Connect reaches the same server (for the Debezium connectors). */
  connectDatabaseUrl: z.url({ protocol: /^postgres(ql)?$/ }),
  kafkaBrokers: z.array(z.string().min(1)).min(1),
  redisUrl: z.url({ protocol: /^rediss?$/ }),
  connectUrl: z.url({ protocol: /^https?$/ }),
  /** 0 picks a free port (tests). */
  port: z.coerce.number().int().min(0).max(65_535),
  host: z.string().min(1),
  /** HS256 secret of the bearer tokens (development default: see the README). */
  jwtSecret: z.string().min(16, 'must be at least 16 characters'),
  logLevel: z.union([
    z.literal('debug'),
    z.literal('info'),
    z.literal('warn'),
    z.literal('error'),
    z.literal('silent'),
  ]),
  /** Writes per minute per client before 429. */
  rateLimitPerMinute: z.coerce.number().int().min(1),
});

/** A service's configuration. */
export type ServiceConfig = z.output<typeof configSchema> & {
  service: ServiceName;
  /** `databaseUrl` pointed at the service's own database. */
  serviceDatabaseUrl: string;
};

/** The development secret the demo signs its token with. Never use it in production. */
export const developmentJwtSecret = 'trackops-development-secret-change-me';

/** Points a server URL at another database. */
export function databaseUrlFor(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * Reads a service's configuration from the environment; the stack's endpoints are the
 * defaults (so `npm run stack -- up` is all a developer needs). Variables: `DATABASE_URL`,
 * `CONNECT_DATABASE_URL`, `KAFKA_BROKERS`, `REDIS_URL`, `CONNECT_URL`, `PORT`, `HOST`,
 * `JWT_SECRET`, `LOG_LEVEL`, `RATE_LIMIT_PER_MINUTE`.
 *
 * @throws Error naming each bad variable.
 */
export function loadConfig(
  service: ServiceName,
  env: NodeJS.ProcessEnv = process.env,
): ServiceConfig {
  const stack = endpoints();
  const result = configSchema.safeParse({
    databaseUrl: env['DATABASE_URL'] ?? stack.DATABASE_URL,
    connectDatabaseUrl: env['CONNECT_DATABASE_URL'] ?? stack.CONNECT_DATABASE_URL,
    kafkaBrokers: (env['KAFKA_BROKERS'] ?? stack.KAFKA_BROKERS).split(','),
    redisUrl: env['REDIS_URL'] ?? stack.REDIS_URL,
    connectUrl: env['CONNECT_URL'] ?? stack.CONNECT_URL,
    port: env['PORT'] ?? services[service].port,
    host: env['HOST'] ?? '127.0.0.1',
    jwtSecret: env['JWT_SECRET'] ?? developmentJwtSecret,
    logLevel: env['LOG_LEVEL'] ?? 'info',
    rateLimitPerMinute: env['RATE_LIMIT_PER_MINUTE'] ?? 600,
  });
  if (!result.success) {
    const names: Record<string, string> = {
      databaseUrl: 'DATABASE_URL',
      connectDatabaseUrl: 'CONNECT_DATABASE_URL',
      kafkaBrokers: 'KAFKA_BROKERS',
      redisUrl: 'REDIS_URL',
      connectUrl: 'CONNECT_URL',
      port: 'PORT',
      host: 'HOST',
      jwtSecret: 'JWT_SECRET',
      logLevel: 'LOG_LEVEL',
      rateLimitPerMinute: 'RATE_LIMIT_PER_MINUTE',
    };
    const problems = result.error.issues.map(
      (issue) => `${names[String(issue.path[0])] ?? String(issue.path[0])}: ${issue.message}`,
    );
    throw new Error(`${service}: invalid configuration: ${problems.join('; ')}`);
  }
  return {
    ...result.data,
    service,
    serviceDatabaseUrl: databaseUrlFor(result.data.databaseUrl, services[service].database),
  };
}

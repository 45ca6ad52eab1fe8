import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { isTrackOpsError } from '@trackops/core';
import Fastify, { LogController } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import type { ServiceConfig } from './config.js';
import { requireRole, type Role } from './auth.js';
import { checkHealth, type HealthCheck } from './health.js';

/** The header that carries a request's correlation id in and out (and into Kafka headers). */
export const correlationHeader = 'x-correlation-id';

/** The body of every 4xx/5xx the services send. */
export const errorBody = z.object({
  statusCode: z.int(),
  error: z.string(),
  message: z.string(),
  /** The offending field, for validation errors (`body.items.0.quantity`). */
  field: z.string().optional(),
});

const correlationPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The Fastify app every service starts from: zod validation (a 400 names the field), OpenAPI
 * at `/openapi.json` and a docs page at `/docs` generated from the same schemas, a correlation
 * id per request (`x-correlation-id`, taken from the caller when valid), rate limiting of
 * writes, `GET /actuator/health` and `GET /actuator/prometheus`.
 */
export async function createHttpApp(options: {
  config: ServiceConfig;
  logger: Logger;
  title: string;
  description: string;
  registry: Registry;
  health: HealthCheck[];
}) {
  const app = Fastify({
    loggerInstance: options.logger,
    genReqId: (request) => {
      const given = request.headers[correlationHeader];
      return typeof given === 'string' && correlationPattern.test(given) ? given : uuidv7();
    },
    logController: new LogController({
      requestIdLogLabel: 'correlationId',
      disableRequestLogging: options.config.logLevel !== 'debug',
    }),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onRequest', async (request, reply) => {
    void reply.header(correlationHeader, request.id);
  });
  app.setErrorHandler(async (error, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issue = error.validation[0];
      // API.md names query fields `query.<name>`; Fastify calls that context `querystring`.
      const context = error.validationContext ?? 'body';
      const where = context === 'querystring' ? 'query' : context;
      const path = issue?.instancePath.replace(/^\//, '').replaceAll('/', '.') ?? '';
      const field = path === '' ? where : `${where}.${path}`;
      return reply.code(400).send({
        statusCode: 400,
        error: 'Bad Request',
        message: `${field}: ${issue?.message ?? 'invalid'}`,
        field,
      });
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      const { name, message } = error as Error;
      return reply.code(status).send({ statusCode: status, error: name, message });
    }
    if (isTrackOpsError(error) && /INVALID|NOT_FOUND|STATE/.test(error.code)) {
      const code = error.code.endsWith('NOT_FOUND')
        ? 404
        : error.code.endsWith('STATE')
          ? 409
          : 400;
      return reply.code(code).send({ statusCode: code, error: error.code, message: error.message });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'internal error; see the service log for the correlation id',
    });
  });
  await app.register(swagger, {
    openapi: {
      info: { title: options.title, description: options.description, version: '0.0.0' },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(rateLimit, {
    global: false,
    max: options.config.rateLimitPerMinute,
    timeWindow: '1 minute',
  });
  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.get('/openapi.json', { schema: { hide: true } }, () => Promise.resolve(app.swagger()));
  typed.get(
    '/actuator/health',
    { schema: { tags: ['actuator'], summary: 'Health of the service and the servers it needs' } },
    async (_request, reply) => {
      const health = await checkHealth(options.health);
      return reply.code(health.status === 'UP' ? 200 : 503).send(health);
    },
  );
  typed.get(
    '/actuator/prometheus',
    { schema: { tags: ['actuator'], summary: 'Prometheus metrics' } },
    async (_request, reply) =>
      reply.type(options.registry.contentType).send(await options.registry.metrics()),
  );
  return app;
}

/** A service's Fastify app, as {@link createHttpApp} makes it. */
export type HttpApp = Awaited<ReturnType<typeof createHttpApp>>;

/**
 * Route options of a write: a bearer token with one of `roles`, checked on request — before
 * the input is even parsed, so a caller without the right token gets 401/403, never a 400 that
 * tells it about the body — and the write rate limit.
 */
export function writeRoute(config: ServiceConfig, roles: readonly Role[]) {
  return {
    onRequest: requireRole(config.jwtSecret, roles),
    config: { rateLimit: { max: config.rateLimitPerMinute, timeWindow: '1 minute' } },
  };
}

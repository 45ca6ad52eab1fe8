/**
 * The TrackOps console, served by the event-relay-service: the static page under `/console/`
 * (plain HTML, CSS and native ES modules — nothing to build) and a same-origin pass-through to
 * the order and inventory services under `/console/api/<service>/…`.
 *
 * The page only ever calls the services' own HTTP APIs. The pass-through exists so that the
 * browser talks to one origin: the other services need no CORS. It forwards reads (GET) only:
 * the page reads the order and inventory services and writes only to the event-relay-service
 * (its admin routes), so nothing can be changed on the other services through the console.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { correlationHeader, type HttpApp } from '../shared/http.js';

/** The services the console reaches through the pass-through, by the name in its path. */
export const consoleServicesSchema = z.object({
  'order-service': z.url({ protocol: /^https?$/ }),
  'inventory-service': z.url({ protocol: /^https?$/ }),
});

/** Where the order and inventory services listen, for the console's pass-through. */
export type ConsoleServices = z.output<typeof consoleServicesSchema>;

/**
 * The services' URLs from `ORDER_SERVICE_URL` and `INVENTORY_SERVICE_URL` (defaults: their
 * standard ports on loopback).
 *
 * @throws Error naming the bad variable.
 */
export function consoleServicesFromEnv(env: NodeJS.ProcessEnv = process.env): ConsoleServices {
  const result = consoleServicesSchema.safeParse({
    'order-service': env['ORDER_SERVICE_URL'] ?? 'http://127.0.0.1:8081/',
    'inventory-service': env['INVENTORY_SERVICE_URL'] ?? 'http://127.0.0.1:8082/',
  });
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable =
      issue.path[0] === 'order-service' ? 'ORDER_SERVICE_URL' : 'INVENTORY_SERVICE_URL';
    throw new Error(`event-relay-service: invalid configuration: ${variable}: ${issue.message}`);
  }
  return result.data;
}

const publicDir = fileURLToPath(new URL('./public/', import.meta.url));

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The page's files, read once: the console serves exactly these and nothing else from disk. */
function loadAssets(): Map<string, { type: string; body: Buffer }> {
  const assets = new Map<string, { type: string; body: Buffer }>();
  for (const entry of readdirSync(publicDir, { recursive: true, encoding: 'utf8' })) {
    const type = contentTypes[extname(entry)];
    if (type === undefined) continue;
    assets.set(entry.split('\\').join('/'), { type, body: readFileSync(join(publicDir, entry)) });
  }
  return assets;
}

// Scripts and styles only from the console's own files: nothing the services return (customer
// ids, error messages) can run as code even if a view forgot to escape it.
const securityHeaders = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
};

/** Request headers the pass-through forwards; everything else stays at the console. */
const forwarded = ['authorization'] as const;

/** Registers the console's page and its pass-through on the event-relay-service's app. */
export function consoleRoutes(http: HttpApp, services: ConsoleServices): void {
  const app = http.withTypeProvider<ZodTypeProvider>();
  const assets = loadAssets();
  const hide = { schema: { hide: true } };

  app.get('/console', hide, (_request, reply) => reply.redirect('/console/'));
  app.get('/console/*', hide, async (request, reply) => {
    const path = (request.params as { '*': string })['*'] || 'index.html';
    const asset = assets.get(path);
    if (asset === undefined) {
      return reply.code(404).send({
        statusCode: 404,
        error: 'Not Found',
        message: `no console file ${path}`,
      });
    }
    return reply.headers(securityHeaders).type(asset.type).send(asset.body);
  });

  // Reads only: another method on these paths is answered 404 (no such route).
  app.route({
    method: 'GET',
    url: '/console/api/:service/*',
    schema: {
      hide: true,
      params: z.object({ service: consoleServicesSchema.keyof(), '*': z.string() }),
    },
    handler: async (request, reply) => {
      const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
      // Only the path and query come from the request: the origin stays the configured one
      // (resolving the path as a relative URL would let `//elsewhere/…` pick another host).
      const target = new URL(services[request.params.service]);
      target.pathname = `/${request.params['*']}`;
      target.search = query;
      // The services' APIs and actuator, nothing else of theirs. Checked on the path the URL
      // resolved, dot segments and all (`api/../docs` is `/docs`), not on the one requested.
      if (!/^\/(api|actuator)\//.test(target.pathname)) {
        return reply.code(400).send({
          statusCode: 400,
          error: 'Bad Request',
          message: 'params.*: must stay under api/ or actuator/',
          field: 'params.*',
        });
      }
      const headers: Record<string, string> = { [correlationHeader]: request.id };
      for (const name of forwarded) {
        const value = request.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      let response: Response;
      try {
        response = await fetch(target, { headers, signal: AbortSignal.timeout(30_000) });
      } catch (error) {
        return reply.code(502).send({
          statusCode: 502,
          error: 'Bad Gateway',
          message: `${request.params.service} did not answer: ${(error as Error).message}`,
        });
      }
      const type = response.headers.get('content-type');
      if (type !== null) void reply.type(type);
      // The body is the service's, under the console's origin: never sniffed into something else.
      void reply.header('x-content-type-options', 'nosniff');
      return reply.code(response.status).send(Buffer.from(await response.arrayBuffer()));
    },
  });
}

/**
 * The order-service's routes (API.md, "order-service"). Handlers validate with the zod schemas
 * of `model.ts`, read through the caches and write through `orderWrites.ts`.
 */
import { getSaga, SagaError, sagaStats, sagaStatuses } from '@trackops/saga';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type pg from 'pg';
import { z } from 'zod';
import type { Role } from '../shared/auth.js';
import type { CacheWatch } from './cacheWatch.js';
import type { ServiceConfig } from '../shared/config.js';
import { errorBody, writeRoute, type HttpApp } from '../shared/http.js';
import {
  cancelQuery,
  createOrderBody,
  idempotencyHeaders,
  listQuery,
  order,
  orderItemView,
  orderPage,
  orderParams,
  sagaParams,
  sagaView,
  statusBody,
  type Order,
} from './model.js';
import { pageKey, pageTag, type OrderCaches } from './orderCaches.js';
import {
  cancelOrder,
  changeStatus,
  HttpProblem,
  placeOrder,
  type OrderWriteDeps,
} from './orderWrites.js';
import { findItems, findOrderHeader, listOrders } from './repository.js';

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody };

/** A write's route options (token on request, rate limit) and its OpenAPI security. */
function authenticated(config: ServiceConfig, roles: readonly Role[]) {
  return { ...writeRoute(config, roles), schema: { security: [{ bearer: [] }] } };
}

async function readOrder(caches: OrderCaches, pool: pg.Pool, id: string): Promise<Order> {
  const [header, items] = await Promise.all([
    caches.orders.getOrLoad(id, () => findOrderHeader(pool, id)),
    caches.items.getOrLoad(id, async () => {
      const found = await findItems(pool, id);
      // No items means no order (an order has at least one): cache "not found" then.
      return found.length === 0 ? undefined : found;
    }),
  ]);
  if (header === undefined || items === undefined) {
    throw new HttpProblem(404, `no order with id ${id}`);
  }
  return { ...header, items };
}

export function registerOrderRoutes(
  app: HttpApp,
  deps: OrderWriteDeps & { config: ServiceConfig; cacheWatch: CacheWatch },
): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const { caches, pool, config } = deps;
  const customerOrAdmin = authenticated(config, ['customer', 'admin']);
  const adminOnly = authenticated(config, ['admin']);

  typed.post(
    '/api/orders',
    {
      ...customerOrAdmin,
      schema: {
        ...customerOrAdmin.schema,
        tags: ['orders'],
        summary: 'Place an order (starts its saga)',
        body: createOrderBody,
        headers: idempotencyHeaders,
        response: { 200: order, 201: order, 422: errorBody, ...errors },
      },
    },
    async (request, reply) => {
      const { created, order: placed } = await placeOrder(deps, request.body, {
        idempotencyKey: request.headers['idempotency-key'],
        correlationId: request.id,
      });
      return reply.code(created ? 201 : 200).send(placed);
    },
  );

  typed.get(
    '/api/orders',
    {
      schema: {
        tags: ['orders'],
        summary: 'Orders, newest first (cached)',
        querystring: listQuery,
        response: { 200: orderPage, 400: errorBody },
      },
    },
    async (request) => {
      const query = request.query;
      const page = await caches.pages.getOrLoad(pageKey(query), () => listOrders(pool, query), {
        tags: [pageTag(query)],
      });
      return page ?? listOrders(pool, query);
    },
  );

  typed.get(
    '/api/orders/:id',
    {
      schema: {
        tags: ['orders'],
        summary: 'One order with its items (cached)',
        params: orderParams,
        response: { 200: order, 400: errorBody, 404: errorBody },
      },
    },
    (request) => readOrder(caches, pool, request.params.id),
  );

  typed.get(
    '/api/orders/:id/items',
    {
      schema: {
        tags: ['orders'],
        summary: "An order's items (cached)",
        params: orderParams,
        response: { 200: z.array(orderItemView), 400: errorBody, 404: errorBody },
      },
    },
    async (request) => (await readOrder(caches, pool, request.params.id)).items,
  );

  typed.put(
    '/api/orders/:id/status',
    {
      ...adminOnly,
      schema: {
        ...adminOnly.schema,
        tags: ['orders'],
        summary: 'Ship or deliver a confirmed order (admin)',
        params: orderParams,
        body: statusBody,
        response: { 200: order, ...errors },
      },
    },
    (request) =>
      changeStatus(deps, request.params.id, request.body.status, {
        reason: request.body.reason,
        correlationId: request.id,
      }),
  );

  typed.delete(
    '/api/orders/:id',
    {
      ...customerOrAdmin,
      schema: {
        ...customerOrAdmin.schema,
        tags: ['orders'],
        summary: 'Cancel an order: abort its saga, or undo a confirmed one',
        params: orderParams,
        querystring: cancelQuery,
        response: { 200: order, ...errors },
      },
    },
    (request) =>
      cancelOrder(deps, request.params.id, {
        reason: request.query.reason ?? 'cancelled on request',
        correlationId: request.id,
      }),
  );

  typed.get(
    '/api/sagas/stats',
    {
      schema: {
        tags: ['sagas'],
        summary: 'Sagas per status, the stuck ones and the age of the oldest active one',
        response: {
          200: z.object({
            byStatus: z.record(z.enum(sagaStatuses), z.int()),
            stuck: z.int(),
            oldestActiveMs: z.number(),
          }),
        },
      },
    },
    () => sagaStats(pool),
  );

  typed.get(
    '/api/sagas/:id',
    {
      schema: {
        tags: ['sagas'],
        summary: 'A saga with its step log',
        params: sagaParams,
        response: { 200: sagaView, 400: errorBody, 404: errorBody },
      },
    },
    async (request) => {
      try {
        const saga = await getSaga(pool, request.params.id);
        const iso = (date: Date | null) => (date === null ? null : date.toISOString());
        return {
          ...saga,
          deadlineAt: iso(saga.deadlineAt),
          createdAt: saga.createdAt.toISOString(),
          updatedAt: saga.updatedAt.toISOString(),
          endedAt: iso(saga.endedAt),
          steps: saga.steps.map((step) => ({ ...step, at: step.at.toISOString() })),
        };
      } catch (error) {
        if (error instanceof SagaError && error.code === 'SAGA_NOT_FOUND') {
          throw new HttpProblem(404, error.message);
        }
        throw error;
      }
    },
  );

  typed.get(
    '/actuator/cache',
    {
      schema: {
        tags: ['actuator'],
        summary:
          'Order cache statistics per cache, the CDC invalidation lag and the stale-entry checker’s last result',
      },
    },
    () =>
      Promise.resolve({
        caches: caches.stats(),
        invalidation: deps.cacheWatch.invalidation(),
        consistency: deps.cacheWatch.consistency(),
      }),
  );

  typed.delete(
    '/actuator/cache',
    {
      ...adminOnly,
      schema: {
        ...adminOnly.schema,
        tags: ['actuator'],
        summary: 'Flush the order caches (admin)',
      },
    },
    async () => ({ flushed: await caches.clear() }),
  );
}

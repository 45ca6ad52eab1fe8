/** The inventory-service's HTTP API (see examples/trackops/API.md). */
import { withTransaction } from '@trackops/core';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type pg from 'pg';
import { z } from 'zod';
import type { ServiceConfig } from '../shared/config.js';
import { errorBody, writeRoute, type HttpApp } from '../shared/http.js';
import { cachedItem, cachedPage, type InventoryCaches } from './cache.js';
import { notFound, conflict } from './errors.js';
import {
  createItem,
  deleteItem,
  findItem,
  itemIdentities,
  listItems,
  stockSummary,
  updateItem,
} from './items.js';
import { listReservations, reserve } from './reservations.js';
import {
  createItemBody,
  createReservationBody,
  item,
  itemIdParams,
  listReservationsQuery,
  page,
  paged,
  reservation,
  updateItemBody,
} from './schemas.js';
import { lowStockEvents, reservationFailedEvent, writeEvents } from './stockEvents.js';

const stock = (entry: { sku: string; available: number; lowStockThreshold: number }) => ({
  sku: entry.sku,
  available: entry.available,
  threshold: entry.lowStockThreshold,
});

export function inventoryRoutes(
  http: HttpApp,
  context: { config: ServiceConfig; pool: pg.Pool; caches: InventoryCaches },
): void {
  const { config, pool, caches } = context;
  const app = http.withTypeProvider<ZodTypeProvider>();
  const admin = writeRoute(config, ['admin']);
  const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody };
  const tags = ['inventory'];
  const security = [{ bearer: [] }];

  app.post(
    '/api/inventory/items',
    {
      ...admin,
      schema: {
        tags,
        security,
        summary: 'Create an item',
        body: createItemBody,
        response: { 201: item, ...errors },
      },
    },
    async (request, reply) => {
      const created = await withTransaction(pool, (tx) => createItem(tx, request.body));
      await caches.forget([created]);
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/api/inventory/items',
    {
      schema: {
        tags,
        summary: 'List items by SKU (cached)',
        querystring: z.object(page),
        response: { 200: paged(item), 400: errorBody },
      },
    },
    async (request) => {
      const { page: number, size } = request.query;
      const found = await cachedPage(caches, number, size, () => listItems(pool, number, size));
      return { ...(found ?? { items: [], total: 0 }), page: number, size };
    },
  );

  app.get(
    '/api/inventory/items/:id',
    {
      schema: {
        tags,
        summary: 'An item by UUID or SKU (cached)',
        params: itemIdParams,
        response: { 200: item, 400: errorBody, 404: errorBody },
      },
    },
    async (request) => {
      const { id } = request.params;
      const found = await cachedItem(caches, id, () => findItem(pool, id));
      if (!found) throw notFound(`no item ${id}`);
      return found;
    },
  );

  app.put(
    '/api/inventory/items/:id',
    {
      ...admin,
      schema: {
        tags,
        security,
        summary: 'Change an item (writes inventory.low-stock when it becomes low)',
        params: itemIdParams,
        body: updateItemBody,
        response: { 200: item, ...errors },
      },
    },
    async (request) => {
      const { id } = request.params;
      const result = await withTransaction(pool, async (tx) => {
        const changed = await updateItem(tx, id, request.body);
        if (!changed) throw notFound(`no item ${id}`);
        await writeEvents(
          tx,
          lowStockEvents([stock(changed.before)], [stock(changed.after)], {
            correlationId: request.id,
          }),
        );
        return changed.after;
      });
      await caches.forget([result]);
      return result;
    },
  );

  app.delete(
    '/api/inventory/items/:id',
    {
      ...admin,
      schema: {
        tags,
        security,
        summary: 'Delete an item (409 while stock of it is reserved)',
        params: itemIdParams,
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const deleted = await withTransaction(pool, (tx) => deleteItem(tx, id));
      if (!deleted) throw notFound(`no item ${id}`);
      await caches.forget([deleted]);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/inventory/reservations',
    {
      ...admin,
      schema: {
        tags,
        security,
        summary:
          'Reserve stock for an order: all items or none (201; 200 with the existing reservation of the order; 409 short of stock)',
        body: createReservationBody,
        response: { 200: reservation, 201: reservation, ...errors },
      },
    },
    async (request, reply) => {
      const context = { correlationId: request.id };
      const outcome = await withTransaction(pool, async (tx) => {
        const result = await reserve(tx, request.body, context);
        // Unlike the saga path, the refusal is ours to commit: the failure event goes with it.
        if (result.kind !== 'reserved') {
          await writeEvents(tx, [
            reservationFailedEvent(request.body.orderId, result.reason, context),
          ]);
        }
        return result;
      });
      switch (outcome.kind) {
        case 'reserved':
          if (outcome.created) {
            await caches.forget(
              await itemIdentities(
                pool,
                outcome.reservation.items.map((entry) => entry.sku),
              ),
            );
          }
          return reply.code(outcome.created ? 201 : 200).send(outcome.reservation);
        case 'insufficient':
        case 'released':
          throw conflict(outcome.reason);
      }
    },
  );

  app.get(
    '/api/inventory/reservations',
    {
      schema: {
        tags,
        summary: 'Reservations, newest first',
        querystring: listReservationsQuery,
        response: { 200: paged(reservation), 400: errorBody },
      },
    },
    async (request) => {
      const { orderId, status, page: number, size } = request.query;
      const found = await listReservations(pool, { orderId, status }, number, size);
      return { ...found, page: number, size };
    },
  );

  app.get(
    '/api/inventory/health',
    {
      schema: {
        tags,
        summary: 'Stock summary: items, units reserved and the items at or below their threshold',
        response: {
          200: z.object({
            items: z.int(),
            reserved: z.int(),
            lowStock: z.array(
              z.object({ sku: z.string(), available: z.int(), threshold: z.int() }),
            ),
          }),
        },
      },
    },
    () => stockSummary(pool),
  );

  app.get(
    '/actuator/cache',
    { schema: { tags: ['actuator'], summary: 'Cache statistics per cache' } },
    () => ({
      caches: {
        [caches.items.namespace]: caches.items.stats(),
        [caches.pages.namespace]: caches.pages.stats(),
      },
    }),
  );
}

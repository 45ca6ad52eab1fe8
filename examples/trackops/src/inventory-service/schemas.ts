/** The inventory-service's HTTP shapes (zod): validation, responses and the OpenAPI document. */
import { z } from 'zod';
import { money, sku } from '../shared/contracts.js';

export const item = z.object({
  id: z.uuid(),
  sku: z.string(),
  name: z.string(),
  /** On hand. */
  quantity: z.int(),
  reserved: z.int(),
  /** `quantity - reserved`. */
  available: z.int(),
  lowStockThreshold: z.int(),
  price: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Item = z.infer<typeof item>;

export const reservationItem = z.object({ sku, quantity: z.int().min(1).max(1_000_000) });

export const reservation = z.object({
  id: z.uuid(),
  orderId: z.uuid(),
  status: z.enum(['RESERVED', 'RELEASED']),
  items: z.array(z.object({ sku: z.string(), quantity: z.int() })),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Reservation = z.infer<typeof reservation>;

export const createItemBody = z
  .object({
    sku,
    name: z.string().min(1).max(200),
    quantity: z.int().min(0).max(1_000_000_000),
    lowStockThreshold: z.int().min(0).max(1_000_000_000).default(10),
    price: money,
  })
  .strict();

export const updateItemBody = z
  .object({
    name: z.string().min(1).max(200).optional(),
    quantity: z.int().min(0).max(1_000_000_000).optional(),
    lowStockThreshold: z.int().min(0).max(1_000_000_000).optional(),
    price: money.optional(),
  })
  .strict();
export type ItemChanges = z.infer<typeof updateItemBody>;

export const createReservationBody = z
  .object({
    orderId: z.uuid(),
    items: z.array(reservationItem).min(1).max(50),
  })
  .strict();

export const page = {
  page: z.coerce.number().int().min(0).default(0),
  size: z.coerce.number().int().min(1).max(100).default(20),
};

export const itemIdParams = z.object({
  /** The item's UUID or its SKU. */
  id: z.union([z.uuid(), sku]),
});

export const listReservationsQuery = z.object({
  orderId: z.uuid().optional(),
  status: z.enum(['RESERVED', 'RELEASED']).optional(),
  ...page,
});

export const paged = <T extends z.ZodType>(schema: T) =>
  z.object({ items: z.array(schema), page: z.int(), size: z.int(), total: z.int() });

/**
 * The order-service's HTTP shapes (API.md, "order-service"), as zod schemas: they validate
 * requests, serialize responses and generate the OpenAPI document.
 */
import { z } from 'zod';
import { money, orderItem } from '../shared/contracts.js';

export const orderStatuses = ['PENDING', 'CONFIRMED', 'CANCELLED', 'SHIPPED', 'DELIVERED'] as const;
export const orderStatus = z.enum(orderStatuses);
export type OrderStatus = z.output<typeof orderStatus>;

export const orderItemView = z.object({
  sku: z.string(),
  quantity: z.int(),
  unitPrice: z.string(),
});
export type OrderItemView = z.output<typeof orderItemView>;

/** An order without its items: what the `orders` cache holds (and CDC warms from a row). */
export const orderHeader = z.object({
  id: z.uuid(),
  customerId: z.string(),
  status: orderStatus,
  totalAmount: z.string(),
  shippingAddress: z.string().nullable(),
  cancellationReason: z.string().nullable(),
  sagaId: z.uuid(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type OrderHeader = z.output<typeof orderHeader>;

export const order = orderHeader.extend({ items: z.array(orderItemView) });
export type Order = z.output<typeof order>;

export const orderPage = z.object({
  items: z.array(order),
  page: z.int(),
  size: z.int(),
  total: z.int(),
});
export type OrderPage = z.output<typeof orderPage>;

const customerId = z.string().min(1).max(64);

/** The largest amount `money` admits (10 integer digits), in cents. */
const maxCents = 10n ** 12n - 1n;

export const createOrderBody = z
  .object({
    customerId,
    items: z.array(orderItem).min(1).max(50),
    shippingAddress: z.string().max(500).optional(),
  })
  .superRefine((body, context) => {
    // zod runs refinements after non-fatal issues too (a bad price): only sum what is valid.
    const valid = body.items.every(
      (item) => Number.isInteger(item.quantity) && money.safeParse(item.unitPrice).success,
    );
    if (valid && totalCents(body.items) > maxCents) {
      context.addIssue({
        code: 'custom',
        path: ['items'],
        message: 'the order total must not exceed 9999999999.99',
      });
    }
  });
export type CreateOrderBody = z.output<typeof createOrderBody>;

export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be 1-128 letters, digits, _ or -')
    .optional(),
});

export const orderParams = z.object({ id: z.uuid() });
export const sagaParams = z.object({ id: z.uuid() });

export const listQuery = z.object({
  page: z.coerce.number().int().min(0).max(1_000_000).default(0),
  size: z.coerce.number().int().min(1).max(100).default(20),
  status: orderStatus.optional(),
  customerId: customerId.optional(),
});
export type ListQuery = z.output<typeof listQuery>;

export const statusBody = z.object({
  status: z.enum(['SHIPPED', 'DELIVERED']),
  reason: z.string().max(500).optional(),
});

export const cancelQuery = z.object({ reason: z.string().min(1).max(500).optional() });

/** Amounts are decimal strings; sums are done in integer cents, never in floats. */
export function toCents(amount: string): bigint {
  const [units = '0', fraction = ''] = money.parse(amount).split('.');
  return BigInt(units) * 100n + BigInt(fraction.padEnd(2, '0'));
}

export function formatCents(cents: bigint): string {
  const text = cents.toString().padStart(3, '0');
  return `${text.slice(0, -2)}.${text.slice(-2)}`;
}

/** A normalized amount: `"19.9"` → `"19.90"` (PostgreSQL's and Debezium's renderings agree). */
export function normalizeAmount(amount: string): string {
  return formatCents(toCents(amount));
}

export function totalCents(items: ReadonlyArray<{ quantity: number; unitPrice: string }>): bigint {
  let total = 0n;
  for (const item of items) total += BigInt(item.quantity) * toCents(item.unitPrice);
  return total;
}

/** A saga with its step log (`getSaga`), dates as ISO strings. */
export const sagaView = z.object({
  id: z.uuid(),
  sagaType: z.string(),
  status: z.string(),
  step: z.int(),
  phase: z.string(),
  attempt: z.int(),
  data: z.unknown(),
  error: z.string().nullable(),
  compensationError: z.string().nullable(),
  correlationId: z.string().nullable(),
  waiting: z.string().nullable(),
  deadlineAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  endedAt: z.string().nullable(),
  steps: z.array(
    z.object({
      step: z.int(),
      stepName: z.string().nullable(),
      phase: z.string(),
      event: z.string(),
      attempt: z.int(),
      detail: z.string().nullable(),
      at: z.string(),
    }),
  ),
});
export type SagaView = z.output<typeof sagaView>;

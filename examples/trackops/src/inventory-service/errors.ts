import { TrackOpsError } from '@trackops/core';

/** Codes the shared error handler maps: `…_NOT_FOUND` → 404, `…_STATE` → 409. */
export type InventoryErrorCode = 'INVENTORY_NOT_FOUND' | 'INVENTORY_CONFLICT_STATE';

/** A refused inventory operation (unknown item, duplicate SKU, stock still reserved …). */
export class InventoryError extends TrackOpsError<InventoryErrorCode> {
  override name = 'InventoryError';
}

export const notFound = (message: string): InventoryError =>
  new InventoryError({ code: 'INVENTORY_NOT_FOUND', message });

export const conflict = (message: string, cause?: unknown): InventoryError =>
  new InventoryError({ code: 'INVENTORY_CONFLICT_STATE', message, cause });

/** PostgreSQL's error fields, as node-postgres keeps them. */
export function pgCode(error: unknown): { code?: string; constraint?: string } {
  if (typeof error !== 'object' || error === null) return {};
  const { code, constraint } = error as Record<string, unknown>;
  return {
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof constraint === 'string' ? { constraint } : {}),
  };
}

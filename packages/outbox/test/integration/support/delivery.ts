import type { ReceivedRecord } from '@trackops/testkit';

/** What arrived on Kafka, judged against what was written per aggregate. */
export interface DeliveryReport {
  /** Distinct event ids received. */
  distinct: number;
  /** Records received more than once (at-least-once redeliveries). */
  duplicates: number;
  /** Ids written but never received. */
  missing: string[];
  /** Aggregates whose first deliveries are not in write order. */
  outOfOrder: string[];
}

/**
 * Checks delivery by event id (`id` header): everything written arrived, and per aggregate
 * the *first* arrival of each event follows the written order (a redelivered earlier event
 * after a crash is a duplicate, not a reordering).
 *
 * @param written - Per aggregate id, its event ids in write (commit) order.
 */
export function judgeDelivery(
  written: ReadonlyMap<string, readonly string[]>,
  records: readonly ReceivedRecord[],
): DeliveryReport {
  const seen = new Set<string>();
  const firstArrivals = new Map<string, string[]>();
  let duplicates = 0;
  for (const record of records) {
    const id = record.headers['id'];
    if (!id || record.key === null) continue;
    if (seen.has(id)) {
      duplicates++;
      continue;
    }
    seen.add(id);
    firstArrivals.set(record.key, [...(firstArrivals.get(record.key) ?? []), id]);
  }
  const missing: string[] = [];
  const outOfOrder: string[] = [];
  for (const [aggregate, ids] of written) {
    for (const id of ids) if (!seen.has(id)) missing.push(id);
    const arrived = firstArrivals.get(aggregate) ?? [];
    if (JSON.stringify(arrived) !== JSON.stringify(ids.filter((id) => seen.has(id))))
      outOfOrder.push(aggregate);
  }
  return { distinct: seen.size, duplicates, missing, outOfOrder };
}

/** Resolves once every written id has arrived (duplicates allowed). */
export function allArrived(total: number): (records: readonly ReceivedRecord[]) => boolean {
  return (records) => new Set(records.map((record) => record.headers['id'])).size >= total;
}

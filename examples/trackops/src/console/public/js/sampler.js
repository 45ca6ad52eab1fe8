/**
 * One refresh of the state every view shares: the outbox status per source, the connectors,
 * the caches of both services and the saga counts — each recorded into its time series.
 * A service that does not answer leaves its part `null` (the views say so) and the rest stands.
 */
import { get } from './api.js';
import { record } from './series.js';

const settle = (promise) => promise.catch((error) => ({ error: error.message }));

/** Takes one sample of everything; returns the latest answers. */
export async function sample() {
  const [stats, cdc, orderCache, inventoryCache, sagas] = await Promise.all([
    settle(get('relay', 'api/events/stats')),
    settle(get('relay', 'api/cdc/connectors')),
    settle(get('order', 'actuator/cache')),
    settle(get('inventory', 'actuator/cache')),
    settle(get('order', 'api/sagas/stats')),
  ]);
  for (const [source, status] of Object.entries(stats.sources ?? {})) {
    record(`outbox.${source}.backlog`, status.backlog);
    record(`outbox.${source}.lagMs`, status.oldestUnpublishedAgeMs);
    record(`outbox.${source}.dead`, status.dead);
    record(`outbox.${source}.published`, status.published);
  }
  for (const connector of cdc.items ?? []) {
    const lags = connector.slots.map((slot) => slot.confirmedLagBytes ?? 0);
    record(`cdc.${connector.name}.lagBytes`, lags.length === 0 ? null : Math.max(...lags));
  }
  for (const [service, answer] of [
    ['order', orderCache],
    ['inventory', inventoryCache],
  ]) {
    for (const [cache, counters] of Object.entries(answer.caches ?? {})) {
      const key = `cache.${service}.${cache}`;
      record(`${key}.hitRatio`, counters.hitRatio);
      record(`${key}.invalidations`, counters.invalidations);
    }
    if (answer.invalidation) record(`cache.${service}.lagMs`, answer.invalidation.lastLagMs);
  }
  return { stats, cdc, caches: { order: orderCache, inventory: inventoryCache }, sagas };
}

/**
 * The caches of the order and inventory services: hit ratio, invalidations and warms over
 * time, the CDC invalidation lag, and the stale-entry checker's last result.
 */
import { duration, h, percent, stat } from '../dom.js';
import { sparkline } from '../charts.js';

function cachePanel(service, name, counters) {
  const key = `cache.${service}.${name}`;
  return h(
    'section',
    { class: 'panel', 'data-cache': `${service}/${name}` },
    h('h3', {}, `${service}-service · ${name}`),
    h(
      'div',
      { class: 'cards' },
      stat('hit ratio', percent(counters.hitRatio)),
      stat('hits', counters.hits),
      stat('misses', counters.misses),
      stat('invalidations', counters.invalidations),
      stat('warms', counters.warms),
      stat('fallbacks to the database', counters.fallbacks, {
        class: counters.fallbacks > 0 ? 'stat alert' : 'stat',
      }),
      stat('breaker', counters.breaker),
    ),
    h(
      'div',
      { class: 'charts' },
      sparkline('hit ratio', `${key}.hitRatio`, percent),
      sparkline('invalidations', `${key}.invalidations`),
    ),
  );
}

function servicePanel(service, answer) {
  if (answer.error) return h('p', { class: 'message failing' }, `${service}: ${answer.error}`);
  const { invalidation, consistency } = answer;
  return h(
    'div',
    { class: 'service' },
    invalidation
      ? h(
          'section',
          { class: 'panel' },
          h('h3', {}, `${service}-service · CDC invalidation`),
          h(
            'div',
            { class: 'cards' },
            stat('changes applied', invalidation.changesApplied),
            stat('last lag (commit → Redis)', duration(invalidation.lastLagMs)),
          ),
          h('div', { class: 'charts' }, sparkline('lag', `cache.${service}.lagMs`, duration)),
        )
      : null,
    consistency
      ? h(
          'section',
          { class: 'panel', 'data-consistency': service },
          h('h3', {}, `${service}-service · stale-entry checker`),
          h(
            'p',
            { class: consistency.stale.length === 0 ? 'message ok' : 'message failing' },
            `${consistency.checked} entries checked at ${new Date(consistency.at).toLocaleTimeString('en-GB')}: `,
            consistency.stale.length === 0
              ? 'none stale'
              : `${consistency.stale.length} stale (${consistency.stale.map((entry) => `${entry.key}: ${entry.reason}`).join(', ')})`,
          ),
        )
      : null,
    ...Object.entries(answer.caches ?? {}).map(([name, counters]) =>
      cachePanel(service, name, counters),
    ),
  );
}

export function cacheView(root) {
  const panel = h('div', { class: 'grid' });
  root.append(h('h2', {}, 'Cache'), panel);
  return {
    refresh({ caches }) {
      panel.replaceChildren(
        servicePanel('order', caches.order),
        servicePanel('inventory', caches.inventory),
      );
    },
  };
}

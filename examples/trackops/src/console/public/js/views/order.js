/**
 * One order's journey: the order, its saga as a timeline — each step's command, reply,
 * compensation and timing — and, beside it, the events its journey put on Kafka.
 */
import { get } from '../api.js';
import { badge, clock, duration, h, table } from '../dom.js';

/** What each step-log event means, in the timeline's words. */
const eventLabels = {
  started: 'started',
  'command-sent': 'command sent',
  'reply-succeeded': 'reply: succeeded',
  'reply-failed': 'reply: failed',
  'reply-ignored': 'reply ignored (late or repeated)',
  'timed-out': 'timed out',
  'local-succeeded': 'done (local)',
  'local-failed': 'failed (local)',
  'retry-scheduled': 'retry scheduled',
  completed: 'saga completed',
  compensated: 'saga compensated',
  'compensation-failed': 'compensation failed',
  'operator-retry': 'retried by an operator',
  'operator-abort': 'aborted by an operator',
  aborted: 'aborted',
};

function timeline(saga) {
  const start = Date.parse(saga.createdAt);
  let previous = start;
  return h(
    'ol',
    { class: 'timeline' },
    ...saga.steps.map((entry) => {
      const at = Date.parse(entry.at);
      const since = at - previous;
      previous = at;
      return h(
        'li',
        {
          class: `entry phase-${entry.phase} event-${entry.event}`,
          'data-step': entry.stepName ?? 'saga',
          'data-phase': entry.phase,
          'data-event': entry.event,
        },
        h('span', { class: 'when' }, `+${duration(at - start)}`),
        h(
          'div',
          { class: 'what' },
          h('strong', {}, entry.stepName ?? 'saga'),
          entry.phase === 'compensation' ? h('span', { class: 'tag' }, 'compensation') : null,
          h('span', {}, eventLabels[entry.event] ?? entry.event),
          entry.attempt > 1 ? h('span', { class: 'muted' }, `attempt ${entry.attempt}`) : null,
          entry.detail ? h('div', { class: 'detail' }, entry.detail) : null,
        ),
        h('span', { class: 'muted since' }, since > 0 ? `${duration(since)} after previous` : ''),
      );
    }),
  );
}

function events(items) {
  return table(
    ['topic (event type)', 'from outbox', 'written', 'on Kafka', 'state'],
    items.map((event) =>
      h(
        'tr',
        { 'data-event-type': event.type, 'data-state': event.state },
        h('td', { class: 'mono' }, event.type),
        h('td', {}, event.source),
        h('td', {}, clock(event.createdAt)),
        h(
          'td',
          {},
          event.publishedAt ? clock(event.publishedAt) : '–',
          event.publishedAt
            ? h(
                'span',
                { class: 'muted' },
                ` +${duration(Date.parse(event.publishedAt) - Date.parse(event.createdAt))}`,
              )
            : null,
        ),
        h('td', {}, badge(event.state), event.lastError ? ` ${event.lastError}` : ''),
      ),
    ),
    { class: 'events' },
  );
}

export function orderView(root, orderId) {
  const header = h('section', { class: 'panel order-summary' });
  const sagaPanel = h('section', { class: 'panel' });
  const eventPanel = h('section', { class: 'panel' });
  root.append(
    h('p', {}, h('a', { href: '#/orders' }, '← all orders')),
    header,
    h(
      'div',
      { class: 'columns' },
      h('div', {}, h('h3', {}, 'Saga timeline'), sagaPanel),
      h('div', {}, h('h3', {}, 'Events on Kafka'), eventPanel),
    ),
  );
  return {
    async refresh() {
      const order = await get('order', `api/orders/${orderId}`);
      const saga = await get('order', `api/sagas/${order.sagaId}`);
      const correlation = saga.correlationId
        ? `&correlationId=${encodeURIComponent(saga.correlationId)}`
        : '';
      const journey = await get('relay', `api/events?aggregateId=${order.id}${correlation}`);
      const took = saga.endedAt ? Date.parse(saga.endedAt) - Date.parse(saga.createdAt) : null;
      header.replaceChildren(
        h(
          'h2',
          {},
          'Order ',
          h('span', { class: 'mono' }, order.id),
          ' ',
          h('span', { id: 'order-status', 'data-status': order.status }, badge(order.status)),
        ),
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'customer'),
          h('dd', {}, order.customerId),
          h('dt', {}, 'total'),
          h('dd', {}, order.totalAmount),
          h('dt', {}, 'items'),
          h('dd', {}, order.items.map((item) => `${item.quantity} × ${item.sku}`).join(', ')),
          h('dt', {}, 'saga'),
          h(
            'dd',
            { id: 'saga-status', 'data-status': saga.status },
            badge(saga.status),
            ` ${saga.sagaType} `,
            h('span', { class: 'mono muted' }, saga.id),
          ),
          h('dt', {}, 'correlation id'),
          h('dd', { class: 'mono', id: 'correlation-id' }, saga.correlationId ?? '–'),
          h('dt', {}, 'duration'),
          h('dd', {}, took === null ? 'running' : duration(took)),
          order.cancellationReason ? h('dt', {}, 'cancelled because') : null,
          order.cancellationReason ? h('dd', { class: 'reason' }, order.cancellationReason) : null,
        ),
      );
      sagaPanel.replaceChildren(timeline(saga));
      eventPanel.replaceChildren(
        journey.items.length === 0 ? h('p', { class: 'muted' }, 'none yet') : events(journey.items),
      );
    },
  };
}

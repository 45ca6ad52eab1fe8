/** Orders and sagas: the newest orders with their state, and the sagas by status. */
import { get } from '../api.js';
import { badge, clock, h, stat, table } from '../dom.js';

/** How many of the newest orders the list shows. */
const pageSize = 50;

export function ordersView(root) {
  const summary = h('section', { class: 'cards', 'aria-label': 'sagas by status' });
  const list = h('section', { class: 'panel' });
  root.append(
    h('h2', {}, 'Orders'),
    h('p', { class: 'muted' }, 'Newest first; click an order for its saga timeline and events.'),
    summary,
    list,
  );
  return {
    async refresh({ sagas }) {
      const page = await get('order', `api/orders?size=${pageSize}`);
      summary.replaceChildren(
        stat('orders', page.total),
        ...Object.entries(sagas.byStatus ?? {}).map(([status, count]) =>
          stat(`sagas ${status.toLowerCase()}`, count, { 'data-saga-status': status }),
        ),
        stat('stuck sagas', sagas.stuck ?? '–', { class: sagas.stuck ? 'stat alert' : 'stat' }),
      );
      list.replaceChildren(
        table(
          ['placed', 'order', 'customer', 'items', 'total', 'status', 'reason'],
          page.items.map((order) =>
            h(
              'tr',
              { 'data-order-id': order.id },
              h('td', {}, clock(order.createdAt)),
              h('td', {}, h('a', { href: `#/orders/${order.id}`, class: 'mono' }, order.id)),
              h('td', {}, order.customerId),
              h('td', { class: 'num' }, order.items.length),
              h('td', { class: 'num' }, order.totalAmount),
              h('td', { 'data-status': order.status }, badge(order.status)),
              h('td', { class: 'muted' }, order.cancellationReason ?? ''),
            ),
          ),
          { class: 'orders' },
        ),
      );
    },
  };
}

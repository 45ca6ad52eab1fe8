/**
 * CDC: the Debezium connectors, their tasks, the replication slots' lag over time, and the
 * last change events of each captured table.
 */
import { get } from '../api.js';
import { badge, bytes, clock, duration, h, table } from '../dom.js';
import { sparkline } from '../charts.js';

const operations = {
  c: 'insert',
  u: 'update',
  d: 'delete',
  r: 'snapshot',
  t: 'truncate',
  error: 'undecodable',
};

function changesPanel(topic, changes) {
  return h(
    'section',
    { class: 'panel', 'data-topic': topic },
    h('h3', { class: 'mono' }, topic),
    changes.length === 0
      ? h('p', { class: 'muted' }, 'no change since the service started')
      : table(
          ['committed', 'operation', 'key', 'changed columns', 'lag'],
          changes.map((change) =>
            h(
              'tr',
              { 'data-op': change.op },
              h('td', {}, clock(change.committedAt)),
              h('td', {}, badge(operations[change.op])),
              h('td', { class: 'mono' }, Object.values(change.key ?? {}).join(', ')),
              h(
                'td',
                { class: 'wrap' },
                change.op === 'error'
                  ? h('span', { class: 'error' }, change.error)
                  : change.op === 'u'
                    ? change.columns.join(', ')
                    : h('span', { class: 'muted' }, 'whole row'),
              ),
              h('td', { class: 'num' }, duration(change.lagMs)),
            ),
          ),
        ),
  );
}

export function cdcView(root) {
  const panel = h('div', { class: 'grid' });
  const changes = h('div', { class: 'grid' });
  root.append(
    h('h2', {}, 'CDC — Debezium connectors'),
    panel,
    h('h2', {}, 'Recent change events'),
    changes,
  );
  return {
    async refresh({ cdc }) {
      const recent = await get('relay', 'api/cdc/changes');
      changes.replaceChildren(
        ...Object.entries(recent.topics).map(([topic, list]) =>
          changesPanel(topic, list.slice(0, 8)),
        ),
      );
      if (cdc.error) {
        panel.replaceChildren(h('p', { class: 'message failing' }, cdc.error));
        return;
      }
      panel.replaceChildren(
        ...cdc.items.map((connector) =>
          h(
            'section',
            { class: 'panel', 'data-connector': connector.name },
            h('h3', {}, connector.name, ' ', badge(connector.connector.state)),
            h(
              'p',
              { class: 'muted' },
              `${connector.database}: ${connector.tables.join(', ')} → ${connector.topicPrefix}.<schema>.<table>`,
            ),
            connector.connector.trace
              ? h('p', { class: 'error' }, connector.connector.trace)
              : null,
            table(
              ['task', 'state', 'worker', 'error'],
              connector.tasks.map((task) =>
                h(
                  'tr',
                  {},
                  h('td', {}, task.id),
                  h('td', {}, badge(task.state)),
                  h('td', { class: 'mono' }, task.workerId ?? ''),
                  h('td', { class: 'error' }, task.trace ?? ''),
                ),
              ),
            ),
            table(
              ['replication slot', 'active', 'WAL retained', 'unconfirmed'],
              connector.slots.map((slot) =>
                h(
                  'tr',
                  {},
                  h('td', { class: 'mono' }, slot.slotName),
                  h('td', {}, slot.active ? 'yes' : 'no'),
                  h('td', { class: 'num' }, bytes(slot.retainedWalBytes)),
                  h('td', { class: 'num' }, bytes(slot.confirmedLagBytes)),
                ),
              ),
            ),
            h(
              'div',
              { class: 'charts' },
              sparkline('slot lag (unconfirmed WAL)', `cdc.${connector.name}.lagBytes`, bytes),
            ),
          ),
        ),
      );
    },
  };
}

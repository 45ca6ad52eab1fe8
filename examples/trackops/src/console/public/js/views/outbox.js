/**
 * The outboxes and their dead letters: backlog and lag per source over time, the dead rows
 * with their error, and the replays — which go through the event-relay-service's own admin
 * routes with the operator's token.
 */
import { get, send } from '../api.js';
import { badge, clock, duration, h, stat, table } from '../dom.js';
import { sparkline } from '../charts.js';

function sourcePanel(source, status) {
  return h(
    'section',
    { class: 'panel source', 'data-source': source },
    h('h3', {}, source),
    h(
      'div',
      { class: 'cards' },
      stat('backlog', status.backlog),
      stat('oldest unpublished', duration(status.oldestUnpublishedAgeMs)),
      stat('retrying', status.retrying),
      stat('dead', status.dead, { class: status.dead > 0 ? 'stat alert' : 'stat' }),
      stat('published', status.published),
    ),
    h(
      'div',
      { class: 'charts' },
      sparkline('backlog', `outbox.${source}.backlog`),
      sparkline('lag (oldest unpublished)', `outbox.${source}.lagMs`, duration),
    ),
  );
}

function deadLetterPanel(entry, replay) {
  return h(
    'section',
    { class: 'panel', 'data-dlq': entry.topic },
    h(
      'h3',
      { class: 'inline' },
      h('span', { class: 'mono' }, entry.topic),
      h('span', { class: 'muted' }, `${entry.pending} to replay of ${entry.total}`),
      h(
        'button',
        {
          type: 'button',
          'data-replay-topic': entry.topic,
          disabled: entry.pending === 0,
          onclick: () =>
            replay(`replay ${entry.topic}`, () =>
              send('relay', 'POST', 'api/events/dlq/replay', { topic: entry.topic }),
            ),
        },
        'Replay to the original topic',
      ),
    ),
    entry.records.length === 0
      ? null
      : table(
          ['record', 'from', 'consumer group', 'error', 'attempts', 'failed at'],
          entry.records.map((record) =>
            h(
              'tr',
              { 'data-dlq-record': `${record.partition}:${record.offset}`, 'data-key': record.key },
              h('td', { class: 'mono' }, `${record.partition}:${record.offset}`),
              h(
                'td',
                { class: 'mono' },
                `${record.originalTopic ?? '?'} ${record.originalPartition ?? '?'}:${record.originalOffset ?? '?'}`,
                record.replayedFrom
                  ? h(
                      'div',
                      { class: 'muted' },
                      `failed again after a replay of ${record.replayedFrom}`,
                    )
                  : null,
              ),
              h('td', { class: 'mono' }, record.consumerGroup ?? ''),
              h(
                'td',
                { class: 'error' },
                `${record.errorClass ?? 'Error'}: ${record.errorMessage ?? ''}`,
              ),
              h('td', { class: 'num' }, record.attempts ?? ''),
              h('td', {}, clock(record.failedAt)),
            ),
          ),
          { class: 'dlq' },
        ),
  );
}

export function outboxView(root) {
  const sources = h('div', { class: 'grid' });
  const dead = h('section', { class: 'panel' });
  const message = h('p', { class: 'message', role: 'status' });
  const deadLetters = h('div', {});
  const replay = async (what, action) => {
    message.textContent = `${what}…`;
    try {
      const result = await action();
      message.textContent = `${what}: ${JSON.stringify(result)}`;
      message.className = 'message ok';
    } catch (error) {
      message.textContent = `${what} failed: ${error.message}`;
      message.className = 'message failing';
    }
  };
  root.append(
    h('h2', {}, 'Outbox & dead letters'),
    sources,
    h('h3', {}, 'Dead outbox rows'),
    message,
    dead,
    h('h3', {}, 'Dead-letter topics'),
    deadLetters,
  );
  return {
    async refresh({ stats }) {
      sources.replaceChildren(
        ...Object.entries(stats.sources ?? {}).map(([source, status]) =>
          sourcePanel(source, status),
        ),
      );
      const [{ items }, dlq] = await Promise.all([
        get('relay', 'api/events/dead?limit=100'),
        get('relay', 'api/events/dlq'),
      ]);
      const lettered = dlq.topics.filter((entry) => entry.total > 0);
      deadLetters.replaceChildren(
        lettered.length === 0
          ? h('p', { class: 'muted panel' }, `No dead letters in ${dlq.topics.length} topics.`)
          : h('div', {}, ...lettered.map((entry) => deadLetterPanel(entry, replay))),
      );
      dead.replaceChildren(
        items.length === 0
          ? h('p', { class: 'muted', id: 'no-dead' }, 'No dead rows.')
          : table(
              [
                'source',
                'event type',
                'aggregate',
                'attempts',
                'error',
                'written',
                'dead since',
                '',
              ],
              items.map((row) =>
                h(
                  'tr',
                  { 'data-dead-id': row.id },
                  h('td', {}, row.source),
                  h('td', { class: 'mono' }, row.type),
                  h('td', { class: 'mono' }, `${row.aggregateType} ${row.aggregateId}`),
                  h('td', { class: 'num' }, row.attempts),
                  h('td', { class: 'error' }, row.lastError ?? ''),
                  h('td', {}, clock(row.createdAt)),
                  h('td', {}, badge('dead'), ` ${clock(row.deadAt)}`),
                  h(
                    'td',
                    {},
                    h(
                      'button',
                      {
                        type: 'button',
                        'data-replay': row.id,
                        onclick: () =>
                          replay(`replay ${row.id}`, () =>
                            send('relay', 'POST', 'api/events/dead/replay', {
                              source: row.source,
                              ids: [row.id],
                            }),
                          ),
                      },
                      'Replay',
                    ),
                  ),
                ),
              ),
              { class: 'dead' },
            ),
      );
    },
  };
}

/**
 * Building the page from data without ever parsing data as HTML: every text goes through
 * `textContent`, so a customer id or an error message cannot inject markup.
 */

/**
 * Creates an element. `attributes` become attributes (`class`, `data-*`, `href` …), except
 * `on*` functions, which become listeners; children are nodes or texts (null/false skipped).
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(...texts(children));
  return element;
}

function texts(children) {
  return children
    .flat()
    .filter((child) => child !== undefined && child !== null && child !== false)
    .map((child) => (child instanceof Node ? child : String(child)));
}

/** A table: `columns` are header labels, `rows` arrays of cells (nodes or texts). */
export function table(columns, rows, attributes = {}) {
  return h(
    'table',
    attributes,
    h('thead', {}, h('tr', {}, ...columns.map((label) => h('th', {}, label)))),
    h('tbody', {}, ...rows),
  );
}

/** A status pill whose colour follows the status (`CONFIRMED`, `FAILED`, `dead` …). */
export function badge(status) {
  return h('span', { class: `badge badge-${String(status).toLowerCase()}` }, status);
}

/** A labelled number, for the summary cards. */
export function stat(label, value, attributes = {}) {
  return h('div', { class: 'stat', ...attributes }, h('span', { class: 'value' }, value), label);
}

/** `12:03:04.120` for an ISO time. */
export function clock(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return `${date.toLocaleTimeString('en-GB', { hour12: false })}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/** `850 ms`, `3.2 s`, `4 min`. */
export function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '–';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/** `1.2 MiB` for a byte count. */
export function bytes(count) {
  if (count === null || count === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = count;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** `87 %`, or `–` when there is nothing to divide. */
export function percent(ratio) {
  return ratio === null || ratio === undefined || Number.isNaN(ratio)
    ? '–'
    : `${Math.round(ratio * 100)} %`;
}

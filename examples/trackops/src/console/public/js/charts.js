/** Small inline SVG charts of a series over the minutes the page has been open. */
import { h } from './dom.js';
import { samples } from './series.js';

const svgNs = 'http://www.w3.org/2000/svg';

function svg(tag, attributes) {
  const element = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

/**
 * A labelled sparkline of series `name`: its last value (through `format`), and the line
 * scaled between 0 and its maximum so a flat zero reads as zero, not as noise.
 */
export function sparkline(label, name, format = String) {
  const points = samples(name).filter((point) => point.value !== null);
  const width = 240;
  const height = 48;
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    class: 'sparkline',
    role: 'img',
    'aria-label': label,
  });
  chart.append(svg('line', { x1: 0, y1: height - 1, x2: width, y2: height - 1, class: 'axis' }));
  if (points.length > 1) {
    const max = Math.max(...points.map((point) => point.value)) || 1;
    const first = points[0].at;
    const span = Math.max(1, points[points.length - 1].at - first);
    const coordinates = points.map(
      (point) =>
        `${(((point.at - first) / span) * width).toFixed(1)},${(height - 2 - (point.value / max) * (height - 6)).toFixed(1)}`,
    );
    chart.append(svg('polyline', { points: coordinates.join(' '), class: 'line' }));
  }
  const last = points[points.length - 1];
  return h(
    'figure',
    { class: 'chart', 'data-series': name },
    h(
      'figcaption',
      {},
      label,
      h('span', { class: 'value' }, last === undefined ? '–' : format(last.value)),
    ),
    chart,
  );
}

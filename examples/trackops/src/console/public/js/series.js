/**
 * The console's time series: a fixed-size ring of samples per metric, taken by the page each
 * time it refreshes. Nothing is stored server-side — history starts when the page opens, and
 * Prometheus (grafana/ in the example) is the place for longer ones.
 */

/** Samples kept per series: at one refresh a second, the last five minutes. */
const capacity = 300;

const all = new Map();

/** Appends `value` to the series `name`. */
export function record(name, value) {
  let series = all.get(name);
  if (series === undefined) {
    series = [];
    all.set(name, series);
  }
  series.push({ at: Date.now(), value });
  if (series.length > capacity) series.shift();
}

/** The samples of `name`, oldest first. */
export function samples(name) {
  return all.get(name) ?? [];
}

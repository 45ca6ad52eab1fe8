/**
 * The metric names a PromQL expression reads — enough PromQL for the dashboard test: what is
 * left of an expression without its strings, label matchers, `by (…)` / `without (…)` lists,
 * range selectors and numbers, less function names and keywords, is metric names.
 */

const keywords = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
]);

export function metricNamesOf(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  const names = new Set<string>();
  for (const match of bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, name, call] = match;
    // A name followed by `(` is a function (rate, sum, histogram_quantile …).
    if (name !== undefined && call === undefined && !keywords.has(name)) names.add(name);
  }
  return [...names];
}

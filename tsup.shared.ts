import type { Options } from 'tsup';

/**
 * The build every public package shares: ESM (`*.js`) + CommonJS (`*.cjs`) + declarations for
 * both (`*.d.ts`, `*.d.cts`) of each entry, matching the `exports` maps, for Node 20.
 */
export function libraryBuild(entry: string[], overrides: Options = {}): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    target: 'node20',
    platform: 'node',
    dts: true,
    sourcemap: true,
    clean: true,
    ...overrides,
  };
}

/**
 * A package's command-line entry (its `bin`): ESM only, no declarations — nothing imports it.
 * It builds next to the library into dist/, so the library's clean must spare its files.
 */
export function cliBuild(entry: string): Options {
  return {
    entry: [entry],
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: false,
    sourcemap: true,
    clean: false,
  };
}

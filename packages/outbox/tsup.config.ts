import { defineConfig } from 'tsup';
import { cliBuild, libraryBuild } from '../../tsup.shared.js';

// The library: ESM (`*.js`) + CommonJS (`*.cjs`) + declarations for both (`*.d.ts`,
// `*.d.cts`) of each entry point, matching the `exports` map in package.json.
// The CLI (`bin.js`, the package's `bin`): ESM only, no declarations — nothing imports it.
// Both builds write to dist/ at the same time, so the library's clean spares the CLI's files.
export default defineConfig([
  libraryBuild(['src/index.ts', 'src/prometheus.ts'], { clean: ['!bin.js', '!bin.js.map'] }),
  cliBuild('src/bin.ts'),
]);

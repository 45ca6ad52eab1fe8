import { defineConfig } from 'tsup';
import { cliBuild, libraryBuild } from '../../tsup.shared.js';

// The library (ESM + CommonJS + declarations) and the codegen CLI (`codegenBin.js`, the
// package's `bin`): ESM only, no declarations — nothing imports it. Both write to dist/ at
// the same time, so the library's clean spares the CLI's files.
export default defineConfig([
  libraryBuild(['src/index.ts'], { clean: ['!codegenBin.js', '!codegenBin.js.map'] }),
  cliBuild('src/codegenBin.ts'),
]);

import { rmSync } from 'node:fs';
import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.shared.js';

// The kit imports vitest, which cannot be loaded with require(), and the global setup's types
// come from vitest/node, which has no CommonJS types: both are ESM only. `helpers` (the kit without vitest, for scripts and other runners such as
// Jest) is ESM + CommonJS. `containers.ts` is reached only through a dynamic import, so
// Testcontainers loads only when `startContainers()` runs.
//
// tsup runs the two builds at once, so neither may clean dist/ (one would delete the other's
// files): it is emptied here, once, before both start.
export default defineConfig(() => {
  rmSync('dist', { recursive: true, force: true });
  return [
    libraryBuild(['src/index.ts', 'src/globalSetup.ts'], { format: ['esm'], clean: false }),
    libraryBuild(['src/helpers.ts'], { clean: false }),
  ];
});

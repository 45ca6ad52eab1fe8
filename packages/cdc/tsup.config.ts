import { defineConfig } from 'tsup';

// ESM (`index.js`) + CommonJS (`index.cjs`) + declarations for both (`index.d.ts`,
// `index.d.cts`), matching the `exports` map in package.json.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  target: 'node20',
  platform: 'node',
  dts: true,
  sourcemap: true,
  clean: true,
});

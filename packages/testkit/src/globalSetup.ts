/**
 * A vitest global setup that finds or starts the servers once per run and hands their endpoints
 * to every test file, where `stackEndpoints()` (from `@trackops/testkit`) reads them.
 *
 * ```ts
 * // vitest.config.ts
 * export default defineConfig({
 *   test: { globalSetup: ['@trackops/testkit/globalSetup'], testTimeout: 60_000, hookTimeout: 300_000 },
 * });
 * ```
 *
 * `TRACKOPS_STACK` chooses how ({@link stackMode}): `attach` to the servers the environment names,
 * or `testcontainers` to start them in Docker. A missing or broken server fails the whole run
 * here, naming it; no test is skipped because a server is missing.
 *
 * @packageDocumentation
 */
import type { TestProject } from 'vitest/node';
import { attachStackFromEnv, type StackEndpoints } from './endpoints.js';
import { providedStackKey } from './providedContext.js';
import { startContainers } from './startContainers.js';
import { verifyStack } from './verify.js';

/** How the global setup gets its servers. */
export type StackMode = 'attach' | 'testcontainers';

/**
 * The mode the environment asks for: `TRACKOPS_STACK` when set; otherwise `attach` when
 * `DATABASE_URL` is set, else `testcontainers`.
 *
 * @param env - Where to read the variables.
 * @defaultValue `env`: `process.env`
 * @throws `Error` naming `TRACKOPS_STACK` when it holds anything else.
 */
export function stackMode(env: NodeJS.ProcessEnv = process.env): StackMode {
  const mode = env['TRACKOPS_STACK'];
  if (!mode) return env['DATABASE_URL'] ? 'attach' : 'testcontainers';
  if (mode === 'attach' || mode === 'testcontainers') return mode;
  throw new Error(`TRACKOPS_STACK must be attach or testcontainers, got "${mode}"`);
}

/**
 * Hands endpoints to the test files of `project`, for a global setup of your own (one that
 * starts your service next to the servers, say). Test files read them with `stackEndpoints()`.
 * In a global setup, import the rest of the kit from `@trackops/testkit/helpers`: the main entry
 * imports `vitest`, which vitest does not allow there.
 *
 * @param project - The `TestProject` vitest passes to the global setup.
 * @param endpoints - Where the servers are.
 */
export function provideStack(project: TestProject, endpoints: StackEndpoints): void {
  (project.provide as (key: string, value: StackEndpoints) => void)(providedStackKey, endpoints);
}

/**
 * The global setup: in `attach` mode reads the endpoints from the environment
 * (`attachStackFromEnv`) and checks every server answers (`verifyStack`); in `testcontainers`
 * mode starts them (`startContainers`) and stops them when the run ends.
 *
 * Exported as `setup`, one of the names vitest looks for in a global setup file.
 *
 * @param project - The `TestProject` vitest passes.
 * @returns The teardown in `testcontainers` mode (vitest calls it at the end of the run).
 */
export async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  switch (stackMode()) {
    case 'attach': {
      const endpoints = attachStackFromEnv();
      await verifyStack(endpoints);
      provideStack(project, endpoints);
      return undefined;
    }
    case 'testcontainers': {
      const stack = await startContainers();
      provideStack(project, stack.endpoints);
      return () => stack.stop();
    }
  }
}

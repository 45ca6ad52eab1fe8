/**
 * Vitest global setup of the repository's integration and disruptive projects: brings the
 * native stack up once per run (or, with TRACKOPS_STACK=attach, only checks the running one)
 * and hands its endpoints to every test file through the test kit, where `stackEndpoints()`
 * reads them. A missing or broken component fails the whole run here, naming the component and
 * the command that starts it; nothing is skipped.
 *
 * TRACKOPS_STACK=testcontainers hands over to the test kit's own global setup, as a user's
 * project would run it.
 */
import type { TestProject } from 'vitest/node';
import { provideStack, setup as testkitSetup } from '@trackops/testkit/globalSetup';
import { check, up } from '@trackops/stack';

export default async function setup(
  project: TestProject,
): Promise<(() => Promise<void>) | undefined> {
  const mode = process.env['TRACKOPS_STACK'] ?? 'native';
  switch (mode) {
    case 'native':
      // The native stack outlives the run: the next run (or the demo) reuses it.
      provideStack(project, await up());
      return undefined;
    case 'attach':
      provideStack(project, await check());
      return undefined;
    case 'testcontainers':
      return testkitSetup(project);
    default:
      throw new Error(`TRACKOPS_STACK must be native, attach or testcontainers, got "${mode}"`);
  }
}

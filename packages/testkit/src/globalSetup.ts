/**
 * Vitest global setup of the integration project: brings the stack up once per run (or,
 * with TRACKOPS_STACK=attach, only checks the running one) and hands its endpoints to every
 * test file. A missing or broken component fails the whole run here, naming the component
 * and the command that starts it; nothing is skipped.
 */
import type { TestProject } from 'vitest/node';
import { check, up } from '@trackops/stack';

export default async function setup(
  project: TestProject,
): Promise<(() => Promise<void>) | undefined> {
  const mode = process.env['TRACKOPS_STACK'] ?? 'native';
  switch (mode) {
    case 'native':
      // The native stack outlives the run: the next run (or the demo) reuses it.
      project.provide('trackopsStack', await up());
      return undefined;
    case 'attach':
      project.provide('trackopsStack', await check());
      return undefined;
    case 'testcontainers': {
      // Loaded only here: machines without Docker never import testcontainers.
      const { startContainers } = await import('./containers.js');
      const stack = await startContainers();
      project.provide('trackopsStack', stack.endpoints);
      return () => stack.stop();
    }
    default:
      throw new Error(`TRACKOPS_STACK must be native, attach or testcontainers, got "${mode}"`);
  }
}

import { setTimeout as sleep } from 'node:timers/promises';
import { components } from '@trackops/stack';

/** The servers a disruptive test may take down. */
export type StoppableServer = 'postgres' | 'redis' | 'kafka';

/**
 * Stops one of the stack's own servers, waits `downMs`, starts it again and waits until it is
 * ready. Only for the `disruptive` test project (run one file at a time): every other test
 * would see the outage too. Servers given by env URLs cannot be stopped, and the test fails
 * saying so rather than passing without the outage.
 *
 * @returns when the server is back.
 */
export async function outage(server: StoppableServer, downMs: number): Promise<void> {
  const component = components()[server];
  if (component.external()) {
    throw new Error(
      `this test stops and restarts ${component.name}, which was given by ${component.envVar}; run it on the project's own stack (unset ${component.envVar})`,
    );
  }
  await component.down();
  await sleep(downMs);
  await component.up();
}

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stackEndpoints, type StackEndpoints } from '@trackops/testkit';

const config = fileURLToPath(new URL('fixtures/attach/vitest.config.ts', import.meta.url));
const vitest = fileURLToPath(
  new URL('../../../../node_modules/vitest/vitest.mjs', import.meta.url),
);

/** Runs the fixture project in a vitest of its own, with only the given endpoint variables. */
async function runFixture(
  endpoints: StackEndpoints,
): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], ...endpoints };
  env['EXPECTED_ENDPOINTS'] = JSON.stringify(endpoints);
  const child = spawn(process.execPath, [vitest, 'run', '--config', config], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Bounded: a stuck run is killed rather than holding the test up.
    timeout: 90_000,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, output };
}

describe('the global setup in attach mode', () => {
  const stack = stackEndpoints();

  it('checks the servers the environment names and hands them to the test files', async () => {
    const { code, output } = await runFixture(stack);

    expect(output).toContain('1 passed');
    expect(code).toBe(0);
  });

  it('fails the run, naming the variable, when a server does not answer', async () => {
    const { code, output } = await runFixture({
      ...stack,
      REDIS_URL: 'redis://127.0.0.1:1',
    });

    expect(code).not.toBe(0);
    expect(output).toContain('the test servers are not all usable:');
    expect(output).toMatch(/REDIS_URL: .*ECONNREFUSED/);
  });
});

import { describe, expect, it } from 'vitest';
import { stackEndpoints, verifyStack } from '@trackops/testkit';

describe('verifyStack', () => {
  const stack = stackEndpoints();

  it('passes on servers that answer, with logical WAL and the Debezium connector', async () => {
    await expect(verifyStack(stack)).resolves.toBeUndefined();
  });

  it('names every server that does not answer, at once', async () => {
    const started = Date.now();

    const failure = verifyStack(
      { ...stack, KAFKA_BROKERS: '127.0.0.1:1', CONNECT_URL: 'http://127.0.0.1:1' },
      { timeoutMs: 3_000 },
    );

    await expect(failure).rejects.toMatchObject({ code: 'TESTKIT_STACK_UNAVAILABLE' });
    const message = await failure.catch((error: Error) => error.message);
    expect(message).toMatch(
      /^the test servers are not all usable:\n {2}KAFKA_BROKERS: .+\n {2}CONNECT_URL: .+$/,
    );
    expect(message).not.toContain('DATABASE_URL');
    expect(message).not.toContain('REDIS_URL');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('rejects a bad option, naming it', async () => {
    await expect(verifyStack(stack, { timeoutMs: 0 })).rejects.toThrow(
      /invalid verifyStack options: timeoutMs: /,
    );
  });
});

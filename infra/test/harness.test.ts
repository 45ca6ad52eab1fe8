import { afterEach, describe, expect, it } from 'vitest';
import { check, StackComponentError } from '@trackops/stack';

/**
 * The run must fail loudly, naming the component and how to start it, when a server is
 * missing. These point the harness at a closed port to see that message.
 */
describe('the stack check', () => {
  const saved = process.env['KAFKA_BROKERS'];
  afterEach(() => {
    if (saved === undefined) delete process.env['KAFKA_BROKERS'];
    else process.env['KAFKA_BROKERS'] = saved;
  });

  it('names Kafka, its address and the env var when the given broker does not answer', async () => {
    process.env['KAFKA_BROKERS'] = '127.0.0.1:1';
    const started = Date.now();

    await expect(check()).rejects.toThrow(
      /Kafka is not available: 127\.0\.0\.1:1: .*ECONNREFUSED[\s\S]*given by KAFKA_BROKERS/,
    );
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('tells how to start a component the stack runs itself, with the tail of its log', () => {
    const error = new StackComponentError('Kafka', 'not ready after 90000 ms', '[2026] ERROR boom');

    expect(error.message).toContain('Kafka is not available: not ready after 90000 ms');
    expect(error.message).toContain('Start it with: npm run stack -- up');
    expect(error.message).toContain('[2026] ERROR boom');
  });
});

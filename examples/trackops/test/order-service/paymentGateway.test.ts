/**
 * The payment participant's circuit breaker and settings, without servers.
 */
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/order-service/circuitBreaker.js';
import { paymentSettingsFromEnv } from '../../src/order-service/payment.js';

const fail = () => Promise.reject(new Error('gateway down'));
const succeed = () => Promise.resolve('ok');

describe('order-service: payment circuit breaker', () => {
  it('opens after N failures in a row, refuses during the cool-down, then lets one trial through', async () => {
    let now = 0;
    const states: string[] = [];
    const breaker = new CircuitBreaker({
      failureThreshold: 3,
      coolDownMs: 1_000,
      clock: () => now,
      onStateChange: (state) => states.push(state),
    });
    await expect(breaker.run(fail)).rejects.toThrow('gateway down');
    await expect(breaker.run(fail)).rejects.toThrow('gateway down');
    // A success in between resets the count.
    await expect(breaker.run(succeed)).resolves.toEqual({ refused: false, value: 'ok' });
    for (let i = 0; i < 3; i++) await expect(breaker.run(fail)).rejects.toThrow();
    expect(breaker.state).toBe('open');
    let calls = 0;
    const counted = () => {
      calls++;
      return succeed();
    };
    await expect(breaker.run(counted)).resolves.toEqual({ refused: true });
    expect(calls).toBe(0);

    now += 1_000;
    expect(breaker.state).toBe('half-open');
    // The trial fails: open again for another cool-down.
    await expect(breaker.run(fail)).rejects.toThrow();
    expect(breaker.state).toBe('open');
    now += 1_000;
    await expect(breaker.run(counted)).resolves.toEqual({ refused: false, value: 'ok' });
    expect(breaker.state).toBe('closed');
    expect(states).toEqual(['open', 'open', 'closed']);
  });

  it('does not count outcomes that are answers, not failures (a declined card)', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, coolDownMs: 1_000 });
    await expect(
      breaker.run(
        () => Promise.reject(new Error('declined')),
        () => false,
      ),
    ).rejects.toThrow('declined');
    expect(breaker.state).toBe('closed');
  });

  it('admits one trial at a time while half-open', async () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 1, coolDownMs: 10, clock: () => now });
    await expect(breaker.run(fail)).rejects.toThrow();
    now = 10;
    let release!: () => void;
    const trial = breaker.run(() => new Promise<void>((resolve) => (release = resolve)));
    await expect(breaker.run(succeed)).resolves.toEqual({ refused: true });
    release();
    await expect(trial).resolves.toEqual({ refused: false, value: undefined });
    expect(breaker.state).toBe('closed');
  });
});

describe('order-service: payment settings', () => {
  it('reads PAYMENT_* variables, with defaults', () => {
    expect(paymentSettingsFromEnv({})).toMatchObject({
      failureRate: 0,
      latencyMs: 0,
      breakerFailures: 5,
      breakerCoolDownMs: 10_000,
    });
    expect(
      paymentSettingsFromEnv({ PAYMENT_FAILURE_RATE: '0.25', PAYMENT_LATENCY_MS: '150' }),
    ).toMatchObject({ failureRate: 0.25, latencyMs: 150 });
  });

  it('names the bad variable', () => {
    expect(() => paymentSettingsFromEnv({ PAYMENT_FAILURE_RATE: '2' })).toThrow(
      /PAYMENT_FAILURE_RATE: /,
    );
    expect(() => paymentSettingsFromEnv({ PAYMENT_LATENCY_MS: 'soon' })).toThrow(
      /PAYMENT_LATENCY_MS: /,
    );
  });
});

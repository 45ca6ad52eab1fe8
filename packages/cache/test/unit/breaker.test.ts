import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type BreakerState } from '../../src/breaker.js';

describe('the circuit breaker', () => {
  function breaker() {
    let now = 0;
    const states: BreakerState[] = [];
    const cb = new CircuitBreaker(
      { failureThreshold: 3, openMs: 1000 },
      (s) => states.push(s),
      () => now,
    );
    return { cb, states, advance: (ms: number) => (now += ms) };
  }

  it('opens after the threshold of consecutive failures and sends nothing while open', () => {
    const { cb, states } = breaker();
    cb.failure();
    cb.failure();
    cb.success(); // a success resets the count
    cb.failure();
    cb.failure();
    expect(cb.state).toBe('closed');
    cb.failure();
    expect(cb.state).toBe('open');
    expect(cb.tryAcquire()).toBe(false);
    expect(cb.opened).toBe(1);
    expect(states).toEqual(['open']);
  });

  it('lets exactly one probe through when half-open; its success closes it', () => {
    const { cb, states, advance } = breaker();
    for (let i = 0; i < 3; i++) cb.failure();
    advance(1000);
    expect(cb.state).toBe('half-open');
    expect(cb.tryAcquire()).toBe(true);
    expect(cb.tryAcquire()).toBe(false);
    cb.success();
    expect(cb.state).toBe('closed');
    expect(cb.tryAcquire()).toBe(true);
    expect(states).toEqual(['open', 'half-open', 'closed']);
  });

  it('reopens for another period when the probe fails', () => {
    const { cb, advance } = breaker();
    for (let i = 0; i < 3; i++) cb.failure();
    advance(1000);
    expect(cb.tryAcquire()).toBe(true);
    cb.failure();
    expect(cb.state).toBe('open');
    advance(999);
    expect(cb.tryAcquire()).toBe(false);
    advance(1);
    expect(cb.tryAcquire()).toBe(true);
    expect(cb.opened).toBe(2);
  });
});

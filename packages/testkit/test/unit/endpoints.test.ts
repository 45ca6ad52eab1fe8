import { describe, expect, it } from 'vitest';
import { attachStack, attachStackFromEnv } from '@trackops/testkit/helpers';
import { stackMode } from '@trackops/testkit/globalSetup';

const given = {
  DATABASE_URL: 'postgres://app:secret@127.0.0.1:5432/postgres',
  KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093',
  REDIS_URL: 'redis://127.0.0.1:6379',
  CONNECT_URL: 'http://127.0.0.1:8083/',
};

function thrownBy(attempt: () => unknown): unknown {
  try {
    attempt();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('attachStack', () => {
  it("takes well-formed URLs, trims Connect's trailing slash and defaults CONNECT_DATABASE_URL", () => {
    expect(attachStack(given)).toEqual({
      ...given,
      CONNECT_URL: 'http://127.0.0.1:8083',
      CONNECT_DATABASE_URL: given.DATABASE_URL,
    });
    expect(
      attachStack({ ...given, CONNECT_DATABASE_URL: 'postgresql://app@postgres:5432/postgres' })
        .CONNECT_DATABASE_URL,
    ).toBe('postgresql://app@postgres:5432/postgres');
  });

  it('names every malformed field, without echoing a URL that may hold a password', () => {
    const attempt = () =>
      attachStack({
        ...given,
        DATABASE_URL: 'mysql://app:hunter2@db/x',
        KAFKA_BROKERS: 'localhost',
        REDIS_URL: 'http://127.0.0.1:6379',
      });

    expect(attempt).toThrow(
      'invalid stack endpoints given to attachStack: ' +
        'DATABASE_URL: must be a postgres or postgresql URL such as postgres://user@127.0.0.1:5432/postgres; ' +
        'KAFKA_BROKERS: must be comma-separated host:port pairs such as 127.0.0.1:9092; ' +
        'REDIS_URL: must be a redis or rediss URL such as redis://127.0.0.1:6379',
    );
    expect(thrownBy(attempt)).toMatchObject({ code: 'TESTKIT_INVALID_ENDPOINTS' });
    expect(attempt).not.toThrow(/hunter2/);
  });
});

describe('attachStackFromEnv', () => {
  it('reads the four variables, and CONNECT_DATABASE_URL when set', () => {
    expect(
      attachStackFromEnv({
        ...given,
        CONNECT_DATABASE_URL: 'postgres://app@postgres:5432/postgres',
      }),
    ).toMatchObject({
      KAFKA_BROKERS: given.KAFKA_BROKERS,
      CONNECT_DATABASE_URL: 'postgres://app@postgres:5432/postgres',
    });
  });

  it('names each missing variable, counting an empty one as missing', () => {
    expect(() =>
      attachStackFromEnv({
        DATABASE_URL: given.DATABASE_URL,
        REDIS_URL: '',
        CONNECT_URL: given.CONNECT_URL,
      }),
    ).toThrow(
      'invalid stack endpoints from the environment: KAFKA_BROKERS: Invalid input: expected string, received undefined; ' +
        'REDIS_URL: Invalid input: expected string, received undefined',
    );
  });
});

describe('stackMode', () => {
  it('follows TRACKOPS_STACK, else attaches when DATABASE_URL is set, else starts containers', () => {
    expect(stackMode({ TRACKOPS_STACK: 'testcontainers', DATABASE_URL: given.DATABASE_URL })).toBe(
      'testcontainers',
    );
    expect(stackMode({ TRACKOPS_STACK: 'attach' })).toBe('attach');
    expect(stackMode({ DATABASE_URL: given.DATABASE_URL })).toBe('attach');
    expect(stackMode({})).toBe('testcontainers');
  });

  it('names TRACKOPS_STACK when it holds anything else', () => {
    expect(() => stackMode({ TRACKOPS_STACK: 'native' })).toThrow(
      'TRACKOPS_STACK must be attach or testcontainers, got "native"',
    );
  });
});

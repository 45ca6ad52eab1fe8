import { describe, expect, it } from 'vitest';
import { isTrackOpsError } from '@trackops/core';
import { ConnectError, createConnectClient } from '@trackops/cdc';

/** A fetch answering from a table of `METHOD path` → [status, body], recording the calls. */
function fakeFetch(answers: Record<string, [number, unknown?]>) {
  const calls: Array<{ method: string; url: string; body: unknown }> = [];
  const fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input);
    const method = init?.method ?? 'GET';
    calls.push({
      method,
      url: `${url.pathname}${url.search}`,
      body: typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined,
    });
    const answer = answers[`${method} ${url.pathname}`];
    if (answer === undefined) return Promise.reject(new TypeError('fetch failed'));
    const [status, body] = answer;
    return Promise.resolve(
      new Response(body === undefined ? null : JSON.stringify(body), { status }),
    );
  };
  return { fetch, calls };
}

describe('createConnectClient', () => {
  it('names the bad option', () => {
    expect(() => createConnectClient({ url: 'ftp://connect' })).toThrow(/url:/);
    expect(() => createConnectClient({ url: 'http://connect:8083', timeoutMs: 0 })).toThrow(
      /timeoutMs:/,
    );
  });

  it('maps a refused connection to a retriable CONNECT_UNREACHABLE', async () => {
    const { fetch } = fakeFetch({});
    const client = createConnectClient({ url: 'http://connect:8083/', fetch });
    const error = await client.plugins().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConnectError);
    expect(isTrackOpsError(error, 'CONNECT_UNREACHABLE')).toBe(true);
    expect(error).toMatchObject({ retriable: true });
  });

  it("keeps Connect's status and message, retriable on 409", async () => {
    const { fetch } = fakeFetch({
      'PUT /connectors/a/pause': [409, { error_code: 409, message: 'rebalance in progress' }],
      'PUT /connectors/b/pause': [500, { error_code: 500, message: 'boom' }],
    });
    const client = createConnectClient({ url: 'http://connect:8083', fetch });
    const error = await client.pause('a').catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'CONNECT_REQUEST_FAILED',
      status: 409,
      retriable: true,
      connector: 'a',
    });
    expect((error as ConnectError).message).toContain('rebalance in progress');
    await expect(client.pause('b')).rejects.toMatchObject({ status: 500, retriable: false });
  });

  it('reads statuses into camelCase and a 404 as undefined', async () => {
    const { fetch, calls } = fakeFetch({
      'GET /connectors/a%2Fb/status': [
        200,
        {
          name: 'a/b',
          type: 'source',
          connector: { state: 'RUNNING', worker_id: 'w:8083' },
          tasks: [{ id: 0, state: 'FAILED', worker_id: 'w:8083', trace: 'java.lang.Oops' }],
        },
      ],
      'GET /connectors/gone/status': [404, { error_code: 404, message: 'No status found' }],
      'POST /connectors/a/restart': [202, {}],
    });
    const client = createConnectClient({ url: 'http://connect:8083', fetch });
    expect(await client.status('a/b')).toEqual({
      name: 'a/b',
      type: 'source',
      connector: { state: 'RUNNING', workerId: 'w:8083' },
      tasks: [{ id: 0, state: 'FAILED', workerId: 'w:8083', trace: 'java.lang.Oops' }],
    });
    expect(await client.status('gone')).toBeUndefined();
    await client.restart('a', { includeTasks: true, onlyFailed: true });
    expect(calls.at(-1)).toMatchObject({
      method: 'POST',
      url: '/connectors/a/restart?includeTasks=true&onlyFailed=true',
    });
  });

  it('rejects an answer it does not understand with CONNECT_INVALID_RESPONSE', async () => {
    const { fetch } = fakeFetch({ 'GET /connector-plugins': [200, { not: 'a list' }] });
    const client = createConnectClient({ url: 'http://connect:8083', fetch });
    await expect(client.plugins()).rejects.toMatchObject({ code: 'CONNECT_INVALID_RESPONSE' });
  });
});

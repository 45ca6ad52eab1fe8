/**
 * A TCP proxy in front of the stack's Redis that a test can cut and restore: Redis "goes away"
 * for the clients behind it only, so an integration test can take Redis down without stopping
 * the server other test files share.
 */
import net from 'node:net';
import { Redis } from 'ioredis';

export interface RedisProxy {
  /** `redis://127.0.0.1:<port>` of the proxy. */
  readonly url: string;
  /** Drops every connection and refuses new ones (a Redis that went away). */
  cut(): void;
  /** Accepts connections again (Redis is back). */
  restore(): void;
  /**
   * An ioredis client through the proxy that reconnects every 50 ms and fails a command after
   * one retry (its errors are expected, so not logged); disconnected by `close()`.
   */
  client(): Redis;
  close(): Promise<void>;
}

export async function startRedisProxy(redisUrl: string): Promise<RedisProxy> {
  const target = new URL(redisUrl);
  const sockets = new Set<net.Socket>();
  let open = true;
  const server = net.createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const url = `redis://127.0.0.1:${port}`;
  const clients: Redis[] = [];
  return {
    url,
    cut() {
      open = false;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    restore() {
      open = true;
    },
    client() {
      const client = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
      client.on('error', () => undefined);
      clients.push(client);
      return client;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of clients) client.disconnect();
        open = false;
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A small HTTP client of the three services (API.md), for the demo and the end-to-end tests. */
export interface Order {
  id: string;
  customerId: string;
  status: 'PENDING' | 'CONFIRMED' | 'CANCELLED' | 'SHIPPED' | 'DELIVERED';
  totalAmount: string;
  cancellationReason: string | null;
  sagaId: string;
  items: Array<{ sku: string; quantity: number; unitPrice: string }>;
}

export interface Item {
  id: string;
  sku: string;
  name: string;
  quantity: number;
  reserved: number;
  available: number;
  lowStockThreshold: number;
  price: string;
}

/** A response: status, body and headers. */
export interface Reply<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** Calls one service. */
export class ServiceClient {
  constructor(
    readonly url: string,
    private readonly token?: string,
  ) {}

  withToken(token: string | undefined): ServiceClient {
    return new ServiceClient(this.url, token);
  }

  async call<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> {
    const response = await fetch(new URL(path, this.url), {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.token === undefined ? {} : { authorization: `Bearer ${this.token}` }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // Not JSON (Prometheus text, the docs page): kept as text.
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  /** Calls and insists on `expected`, or throws with what came back. */
  async expect<T = unknown>(
    expected: number,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<T> {
    const reply = await this.call<T>(method, path, body, headers);
    if (reply.status !== expected) {
      throw new Error(
        `${method} ${path} → ${reply.status} (expected ${expected}): ${JSON.stringify(reply.body)}`,
      );
    }
    return reply.body;
  }
}

/** Polls `read` until `done` holds or `timeoutMs` passes; returns the last value read. */
export async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 60_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

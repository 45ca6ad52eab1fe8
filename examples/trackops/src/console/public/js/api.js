/**
 * The services' own HTTP APIs, as the console calls them: the event-relay-service (which
 * serves this page) directly, the order and inventory services through its same-origin
 * pass-through. Writes carry the operator's bearer token; the service checks it.
 */

const tokenKey = 'trackops.console.token';

/** The bearer token the operator entered (kept for this browser tab only). */
export const token = {
  get: () => sessionStorage.getItem(tokenKey) ?? '',
  set: (value) =>
    value === '' ? sessionStorage.removeItem(tokenKey) : sessionStorage.setItem(tokenKey, value),
};

const bases = {
  relay: '/',
  order: '/console/api/order-service/',
  inventory: '/console/api/inventory-service/',
};

/** An API answer that was not 2xx, with the service's message. */
class ApiError extends Error {
  constructor(status, message) {
    super(`${status}: ${message}`);
    this.status = status;
  }
}

async function call(service, method, path, body) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && token.get() !== '') headers.authorization = `Bearer ${token.get()}`;
  const response = await fetch(`${bases[service]}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const json = (response.headers.get('content-type') ?? '').includes('json');
  const parsed = json && text !== '' ? JSON.parse(text) : undefined;
  if (!response.ok) throw new ApiError(response.status, parsed?.message ?? response.statusText);
  return parsed;
}

/** `GET path` of `service` (`relay`, `order` or `inventory`). */
export const get = (service, path) => call(service, 'GET', path);

/** A write; rejects with {@link ApiError} (401/403 without an admin token). */
export const send = (service, method, path, body) => call(service, method, path, body);

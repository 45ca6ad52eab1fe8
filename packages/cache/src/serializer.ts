/**
 * How values become bytes in Redis and back. The cache stores what `serialize` returns after a
 * fixed-size header of its own, and hands `deserialize` exactly those bytes.
 *
 * @typeParam T - The cached value type.
 *
 * @example
 * ```ts
 * import { pack, unpack } from 'msgpackr';
 * const msgpack: Serializer<Order> = { serialize: pack, deserialize: (bytes) => unpack(bytes) as Order };
 * const orders = createCache<Order>({ redis, namespace: 'orders', serializer: msgpack });
 * ```
 */
export interface Serializer<T> {
  /** The bytes (or UTF-8 text) to store for `value`. */
  serialize(value: T): Buffer | string;
  /** The value back from the bytes `serialize` produced. */
  deserialize(bytes: Buffer): T;
}

/**
 * The default serializer: `JSON.stringify` / `JSON.parse` on UTF-8. Values must be JSON-safe
 * (no `bigint`, `Date` comes back as a string); pass a serializer of your own otherwise.
 */
export function jsonSerializer<T>(): Serializer<T> {
  return {
    serialize: (value) => JSON.stringify(value),
    deserialize: (bytes) => JSON.parse(bytes.toString('utf8')) as T,
  };
}

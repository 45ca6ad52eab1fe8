import { randomBytes } from 'node:crypto';
import { parseOptions, silentLogger, TypedEmitter, type Logger } from '@trackops/core';
import {
  decodeEntry,
  encodeFresh,
  encodeVersion,
  ZERO_VERSION,
  type EntryKeys,
  type RawEntry,
} from './entry.js';
import { CacheError } from './errors.js';
import { RedisGuard } from './redisGuard.js';
import {
  cacheOptionsSchema,
  type CacheEvents,
  type CacheOptions,
  type GetOrLoadOptions,
  type ResolvedCacheOptions,
} from './options.js';
import {
  acquireLease,
  fillWithLease,
  invalidateKeys,
  invalidateTag,
  releaseLease,
  warmEntry,
} from './scripts.js';
import { jsonSerializer, type Serializer } from './serializer.js';
import { Counters, type CacheStats } from './stats.js';

/** Reads a value from the source of truth; `undefined` means "not found" (negative caching). */
export type Loader<T> = () => Promise<T | undefined>;
/** Raised inside a read when Redis could not be asked, so the caller falls back to the loader. */
const unavailable = Symbol('redis unavailable');

/** Lua integer replies arrive as numbers; bulk replies as Buffers (callBuffer). */
function isLeaseGranted(reply: unknown): reply is [number, ...Buffer[]] {
  return Array.isArray(reply) && reply[0] === 1;
}

/**
 * A cache-aside cache of one namespace on the caller's ioredis client, kept correct under
 * concurrent writes by leases and version-guarded writes (see the package README for the races
 * it closes and the ones it cannot).
 *
 * - {@link Cache.getOrLoad}: hit → the value; miss → one load per key per process
 *   (single-flight), then a fill that lands only if no invalidation happened since the miss.
 * - {@link Cache.invalidate}, {@link Cache.invalidateTags}, {@link Cache.clear}: delete entries
 *   and leave tombstones; {@link Cache.warm}: write a change's new image if it is newer.
 * - Redis down or slow: reads fall back to the loader within `commandTimeoutMs` and never
 *   throw; a circuit breaker stops sending commands and probes for recovery.
 *
 * @typeParam T - The cached value type.
 */
export class Cache<T> {
  /** The namespace of this cache's keys. */
  readonly namespace: string;
  private readonly options: ResolvedCacheOptions;
  private readonly serializer: Serializer<T>;
  private readonly logger: Logger;
  private readonly events: TypedEmitter<CacheEvents>;
  private readonly counters = new Counters();
  private readonly guard: RedisGuard;
  /** `keyPrefix + namespace + ':'`: every key of this cache starts with it. */
  private readonly base: string;
  /** Loads in flight, by key: bounded by concurrent distinct misses, emptied as they settle. */
  private readonly loading = new Map<string, Promise<T | undefined>>();
  /** Background refreshes in flight (stale-while-revalidate), likewise bounded. */
  private readonly refreshing = new Set<string>();

  constructor(options: CacheOptions<T>) {
    this.options = parseOptions(cacheOptionsSchema, options, 'createCache');
    this.namespace = this.options.namespace;
    this.serializer = (this.options.serializer as Serializer<T> | undefined) ?? jsonSerializer<T>();
    this.logger = this.options.logger ?? silentLogger;
    this.events = new TypedEmitter((error, event) =>
      this.logger.warn({ err: error, event }, 'cache listener threw'),
    );
    this.base = `${this.options.keyPrefix}${this.namespace}:`;
    this.guard = new RedisGuard(
      this.options.redis,
      this.options.commandTimeoutMs,
      this.options.breaker,
      this.counters,
      (state) => {
        this.logger.warn({ namespace: this.namespace, state }, 'cache circuit breaker');
        this.events.emit('cache:breaker', () => ({ namespace: this.namespace, state }));
      },
      (error, operation) => this.reportRedisError(error, operation),
    );
  }

  /** Subscribes to an instrumentation event; returns the unsubscribe function. */
  on<K extends keyof CacheEvents>(
    event: K,
    listener: (payload: CacheEvents[K]) => void,
  ): () => void {
    return this.events.on(event, listener);
  }

  /** A snapshot of the counters (hits, misses, loads, invalidations, errors, hit ratio …). */
  stats(): CacheStats {
    return this.counters.snapshot(this.guard.breaker.state, this.guard.breaker.opened);
  }

  /**
   * The value of `key`: from Redis when a fresh entry is there, else from `loader`, whose
   * result is then cached (`undefined` as a negative entry for `negativeTtlMs`).
   *
   * Concurrent misses of a key in this process share one loader call. The fill lands only if
   * the key's lease is still this miss's one — an invalidation or warm in between deletes it —
   * so a value read before a write can never be put back after that write's invalidation.
   * Redis errors, timeouts and an open breaker never reach the caller: the loader answers.
   * The loader's own errors do (and nothing is cached).
   *
   * @param key - The key within the namespace (any string).
   * @param loader - Reads the value from the source of truth; `undefined` for "not found".
   * @param options - This entry's TTL and tags.
   *
   * @example
   * ```ts
   * const order = await orders.getOrLoad(String(id), () => findOrder(pool, id), {
   *   tags: [`customer:${customerId}`],
   * });
   * ```
   */
  async getOrLoad(
    key: string,
    loader: Loader<T>,
    options: GetOrLoadOptions = {},
  ): Promise<T | undefined> {
    const bytes = await this.read(this.valueKey(key));
    if (bytes !== unavailable && bytes !== null) {
      const entry = decodeEntry(bytes);
      if (entry) {
        if (entry.freshUntil > Date.now()) {
          const value = this.valueOf(entry, key);
          if (value !== unavailable) {
            this.counters.hits++;
            if (entry.negative) this.counters.negativeHits++;
            return value;
          }
        } else {
          // Past its TTL but inside the stale-while-revalidate window (Redis expires it after).
          const value = this.valueOf(entry, key);
          if (value !== unavailable) {
            this.counters.staleHits++;
            this.refreshInBackground(key, this.keysOf(key), bytes, loader, options);
            return value;
          }
        }
      }
    }
    this.counters.misses++;
    if (bytes === unavailable) {
      this.counters.fallbacks++;
      return this.singleFlight(key, () => this.load(loader));
    }
    return this.singleFlight(key, () => this.missAndFill(key, this.keysOf(key), loader, options));
  }

  /**
   * The cached value of `key` without loading: `undefined` on a miss, a negative entry, a stale
   * entry, or when Redis cannot be asked.
   */
  async get(key: string): Promise<T | undefined> {
    return (await this.mget([key]))[0];
  }

  /**
   * The cached values of `keys` in one round trip (`MGET`), in order; `undefined` where there is
   * no fresh entry or Redis cannot be asked. Counts hits and misses like `getOrLoad`.
   */
  async mget(keys: readonly string[]): Promise<Array<T | undefined>> {
    if (keys.length === 0) return [];
    const valueKeys = keys.map((key) => this.valueKey(key));
    let replies: Array<Buffer | null>;
    try {
      replies = await this.guard.run('MGET', (redis) => redis.mgetBuffer(valueKeys));
    } catch {
      this.counters.misses += keys.length;
      this.counters.fallbacks += keys.length;
      return keys.map(() => undefined);
    }
    const now = Date.now();
    return replies.map((bytes, index) => {
      const entry = bytes === null ? undefined : decodeEntry(bytes);
      if (entry && entry.freshUntil > now) {
        const value = this.valueOf(entry, keys[index]!);
        if (value !== unavailable) {
          this.counters.hits++;
          if (entry.negative) this.counters.negativeHits++;
          return value;
        }
      }
      this.counters.misses++;
      return undefined;
    });
  }

  /**
   * Invalidates keys: deletes their entries and leases (a fill in flight will not land) and
   * leaves tombstones carrying `version` (a warm at or below it will not land), in one atomic
   * script per 500 keys.
   *
   * Unlike reads, this throws a {@link CacheError} when Redis cannot be reached: an
   * invalidation that did not happen must not look like one that did.
   *
   * @param keys - One key or many.
   * @param version - The change position this invalidation stands for (an LSN); 0 when unknown.
   * @returns How many entries existed.
   */
  async invalidate(
    keys: string | readonly string[],
    version: bigint | number | null = null,
  ): Promise<number> {
    const list = typeof keys === 'string' ? [keys] : [...new Set(keys)];
    const encoded = encodeVersion(version);
    let existed = 0;
    for (let start = 0; start < list.length; start += 500) {
      const chunk = list.slice(start, start + 500);
      const redisKeys = chunk.flatMap((key) => {
        const k = this.keysOf(key);
        return [k.value, k.lease, k.tombstone];
      });
      const count = Number(
        await this.guard.script(invalidateKeys, redisKeys, [encoded, this.options.tombstoneTtlMs]),
      );
      existed += count;
      this.counters.invalidations += chunk.length;
      this.events.emit('cache:invalidated', () => ({
        namespace: this.namespace,
        keys: chunk,
        version: encoded,
        existed: count,
      }));
    }
    return existed;
  }

  /**
   * Invalidates every entry filled with one of `tags` (see {@link GetOrLoadOptions.tags}),
   * including fills still in flight: a tag's version is bumped first, and a fill whose lease
   * predates the bump is refused. Throws a {@link CacheError} when Redis cannot be reached.
   *
   * @returns How many keys the tags held.
   */
  async invalidateTags(
    tags: string | readonly string[],
    version: bigint | number | null = null,
  ): Promise<number> {
    const list = typeof tags === 'string' ? [tags] : [...new Set(tags)];
    const encoded = encodeVersion(version);
    let members = 0;
    for (const tag of list) {
      const count = Number(
        await this.guard.script(
          invalidateTag,
          [this.tagVersionKey(tag), this.tagSetKey(tag)],
          [this.base, this.options.tombstoneTtlMs, encoded],
        ),
      );
      members += count;
      this.counters.invalidations += count;
      this.events.emit('cache:tag:invalidated', () => ({
        namespace: this.namespace,
        tag,
        members: count,
      }));
    }
    return members;
  }

  /**
   * Offers a newer value of `key` from a change event (warming): written only if `version` is
   * greater than the entry's and the key's tombstone's, so a redelivered or reordered older
   * change can never overwrite a newer one. Also deletes the key's lease, so a fill that read
   * the row before this change cannot land after it. Throws a {@link CacheError} when Redis
   * cannot be reached.
   *
   * @param version - The change's position (PostgreSQL LSN), increasing per row.
   * @returns Whether the value was written.
   */
  async warm(key: string, value: T, version: bigint | number): Promise<boolean> {
    const keys = this.keysOf(key);
    const encoded = encodeVersion(version);
    const ttl = this.jitteredTtl(this.options.ttlMs);
    const applied =
      Number(
        await this.guard.script(
          warmEntry,
          [keys.value, keys.lease, keys.tombstone],
          [
            encoded,
            encodeFresh(Date.now() + ttl),
            this.serializer.serialize(value),
            ttl + this.options.staleWhileRevalidateMs,
          ],
        ),
      ) === 1;
    if (applied) this.counters.warms++;
    else this.counters.warmsRefused++;
    this.events.emit('cache:warmed', () => ({
      namespace: this.namespace,
      key,
      version: encoded,
      applied,
    }));
    return applied;
  }

  /**
   * Invalidates every entry of the namespace (SCAN, then the same script as
   * {@link Cache.invalidate}), e.g. after a TRUNCATE. Throws a {@link CacheError} when Redis
   * cannot be reached. Entries filled while it runs are not covered.
   *
   * @returns How many entries existed.
   */
  async clear(version: bigint | number | null = null): Promise<number> {
    let existed = 0;
    for await (const keys of this.scanKeys(500)) existed += await this.invalidate(keys, version);
    return existed;
  }

  /**
   * The cache keys of the namespace's entries, in batches, by SCAN (no order; keys written
   * while it runs may be missed or repeated). @internal
   */
  async *scanKeys(count: number): AsyncGenerator<string[]> {
    const valuePrefix = `${this.base}v:`;
    const match = `${valuePrefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    let cursor = '0';
    do {
      const [next, found] = await this.guard.run('SCAN', (redis) =>
        redis.scan(cursor, 'MATCH', match, 'COUNT', count),
      );
      cursor = next;
      if (found.length > 0) yield found.map((key) => key.slice(valuePrefix.length));
    } while (cursor !== '0');
  }

  /**
   * The entry of `key` as Redis holds it, for the consistency checker: `missing`, a negative
   * entry, or a value (fresh or not). Throws when Redis cannot be asked. @internal
   */
  async peek(
    key: string,
  ): Promise<{ kind: 'missing' } | { kind: 'negative' | 'value'; bytes: Buffer; version: string }> {
    const keys = this.keysOf(key);
    const bytes = await this.guard.run('GET', (redis) => redis.getBuffer(keys.value));
    const entry = bytes === null ? undefined : decodeEntry(bytes);
    if (!entry) return { kind: 'missing' };
    return {
      kind: entry.negative ? 'negative' : 'value',
      bytes: Buffer.from(entry.data),
      version: entry.version,
    };
  }

  /** The serializer's bytes for `value`, for comparisons by the checker. @internal */
  serialize(value: T): Buffer {
    const bytes = this.serializer.serialize(value);
    return typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  }

  /** The value from the serializer's bytes, for the checker. @internal */
  deserialize(bytes: Buffer): T {
    return this.serializer.deserialize(bytes);
  }

  private valueKey(key: string): string {
    return `${this.base}v:${key}`;
  }

  private keysOf(key: string): EntryKeys {
    return {
      value: `${this.base}v:${key}`,
      lease: `${this.base}l:${key}`,
      tombstone: `${this.base}t:${key}`,
    };
  }

  private tagVersionKey(tag: string): string {
    return `${this.base}g:${tag}`;
  }

  private tagSetKey(tag: string): string {
    return `${this.base}s:${tag}`;
  }

  private async read(key: string): Promise<Buffer | null | typeof unavailable> {
    try {
      return await this.guard.run('GET', (redis) => redis.getBuffer(key));
    } catch {
      return unavailable;
    }
  }

  /** The entry's value, or `unavailable` (and the entry invalidated) if it does not deserialize. */
  private valueOf(entry: RawEntry, key: string): T | undefined | typeof unavailable {
    if (entry.negative) return undefined;
    try {
      return this.serializer.deserialize(entry.data);
    } catch (cause) {
      const keys = this.keysOf(key);
      const error = new CacheError({
        code: 'CACHE_DESERIALIZE_FAILED',
        message: `cache entry ${keys.value} does not deserialize: ${(cause as Error)?.message}`,
        cause,
      });
      this.counters.errors++;
      this.reportRedisError(error, 'deserialize');
      // Drop it so the miss path can fill a good one (a tombstone at version 0 blocks nothing).
      void this.guard
        .script(invalidateKeys, [keys.value, keys.lease, keys.tombstone], [ZERO_VERSION, 1])
        .catch(() => undefined);
      return unavailable;
    }
  }

  private singleFlight(key: string, work: () => Promise<T | undefined>): Promise<T | undefined> {
    if (!this.options.singleFlight) return work();
    const inFlight = this.loading.get(key);
    if (inFlight) return inFlight;
    const promise = work().finally(() => this.loading.delete(key));
    this.loading.set(key, promise);
    return promise;
  }

  private async load(loader: Loader<T>): Promise<T | undefined> {
    this.counters.loads++;
    try {
      return await loader();
    } catch (error) {
      this.counters.loadErrors++;
      throw error;
    }
  }

  private async missAndFill(
    key: string,
    keys: EntryKeys,
    loader: Loader<T>,
    options: GetOrLoadOptions,
  ): Promise<T | undefined> {
    const tags = options.tags ?? [];
    const token = randomBytes(12).toString('base64');
    let reply: unknown;
    try {
      reply = await this.guard.script(
        acquireLease,
        [keys.value, keys.lease, ...tags.map((tag) => this.tagVersionKey(tag))],
        [token, this.options.leaseMs, ''],
      );
    } catch {
      this.counters.fallbacks++;
      return this.load(loader);
    }
    if (Buffer.isBuffer(reply)) {
      // Filled by another process between our GET and the lease: use it.
      const entry = decodeEntry(reply);
      if (entry) {
        const value = this.valueOf(entry, key);
        if (value !== unavailable) return value;
      }
      return this.load(loader);
    }
    if (!isLeaseGranted(reply)) {
      // Another process is filling this key: answer from the loader, leave the fill to it.
      this.counters.leaseBusy++;
      return this.load(loader);
    }
    const tagVersions = reply.slice(1).map((version) => version.toString());
    let value: T | undefined;
    try {
      value = await this.load(loader);
    } catch (error) {
      void this.guard.script(releaseLease, [keys.lease], [token]).catch(() => undefined);
      throw error;
    }
    await this.fill(key, keys, token, tagVersions, value, options);
    return value;
  }

  private refreshInBackground(
    key: string,
    keys: EntryKeys,
    stale: Buffer,
    loader: Loader<T>,
    options: GetOrLoadOptions,
  ): void {
    if (this.refreshing.has(key) || this.loading.has(key)) return;
    this.refreshing.add(key);
    const tags = options.tags ?? [];
    const token = randomBytes(12).toString('base64');
    void (async () => {
      try {
        const reply = await this.guard.script(
          acquireLease,
          [keys.value, keys.lease, ...tags.map((tag) => this.tagVersionKey(tag))],
          [token, this.options.leaseMs, stale.toString('latin1', 0, 15)],
        );
        if (!isLeaseGranted(reply)) return;
        const value = await this.load(loader).catch((error: unknown): typeof unavailable => {
          void this.guard.script(releaseLease, [keys.lease], [token]).catch(() => undefined);
          this.logger.warn({ err: error, namespace: this.namespace, key }, 'cache refresh failed');
          return unavailable;
        });
        if (value === unavailable) return;
        const tagVersions = reply.slice(1).map((version) => version.toString());
        await this.fill(key, keys, token, tagVersions, value, options);
      } catch {
        // Redis trouble is counted and reported by the guard; the stale value was served.
      } finally {
        this.refreshing.delete(key);
      }
    })();
  }

  /** Writes a loaded value under the lease; never throws (a failed fill is only a lost fill). */
  private async fill(
    key: string,
    keys: EntryKeys,
    token: string,
    tagVersions: readonly string[],
    value: T | undefined,
    options: GetOrLoadOptions,
  ): Promise<void> {
    const negative = value === undefined;
    const baseTtl = negative ? this.options.negativeTtlMs : (options.ttlMs ?? this.options.ttlMs);
    if (baseTtl <= 0) {
      await this.guard.script(releaseLease, [keys.lease], [token]).catch(() => undefined);
      return;
    }
    const ttl = this.jitteredTtl(baseTtl);
    const tags = options.tags ?? [];
    try {
      const landed = await this.guard.script(
        fillWithLease,
        [
          keys.value,
          keys.lease,
          keys.tombstone,
          ...tags.flatMap((tag) => [this.tagVersionKey(tag), this.tagSetKey(tag)]),
        ],
        [
          token,
          encodeFresh(Date.now() + ttl),
          negative ? 'n' : 'v',
          negative ? '' : this.serializer.serialize(value),
          ttl + (negative ? 0 : this.options.staleWhileRevalidateMs),
          key,
          ...tagVersions,
        ],
      );
      if (Number(landed) === 1) {
        this.counters.fills++;
      } else {
        this.counters.fillsRefused++;
        this.events.emit('cache:fill:refused', () => ({ namespace: this.namespace, key }));
      }
    } catch {
      // Counted and reported by the guard.
    }
  }

  private jitteredTtl(ttl: number): number {
    const jitter = this.options.ttlJitter;
    if (jitter === 0) return ttl;
    return Math.max(1, Math.round(ttl * (1 + jitter * (2 * Math.random() - 1))));
  }

  private reportRedisError(error: CacheError, operation: string): void {
    this.logger.warn({ err: error, namespace: this.namespace, operation }, 'cache Redis error');
    this.events.emit('cache:redis:error', () => ({ namespace: this.namespace, operation, error }));
    try {
      this.options.onError?.(error);
    } catch (hookError) {
      this.logger.warn({ err: hookError }, 'cache onError hook threw');
    }
  }
}

/**
 * Creates a cache of one namespace on your ioredis client; options are validated now.
 *
 * @typeParam T - The cached value type.
 *
 * @example
 * ```ts
 * const orders = createCache<Order>({ redis, namespace: 'orders', ttlMs: 60_000 });
 * const order = await orders.getOrLoad('42', () => findOrder(pool, 42));
 * console.log(orders.stats().hitRatio);
 * ```
 */
export function createCache<T>(options: CacheOptions<T>): Cache<T> {
  return new Cache<T>(options);
}

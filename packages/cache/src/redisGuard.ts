/**
 * Every Redis command of a cache goes through here: the circuit breaker decides whether it is
 * sent at all, a timer bounds how long it may take, and its outcome feeds the breaker and the
 * stats. A failure is a {@link CacheError}; the read path turns it into a fallback to the
 * loader, the invalidation path lets it propagate so the change is retried.
 */
import type { Redis } from 'ioredis';
import { CircuitBreaker, type BreakerSettings, type BreakerState } from './breaker.js';
import { CacheError } from './errors.js';
import type { LuaScript } from './scripts.js';
import type { Counters } from './stats.js';

/** Raised by the timer; distinct so the breaker and stats can count timeouts. */
const timedOut = Symbol('timed out');

/** @internal */
export class RedisGuard {
  readonly breaker: CircuitBreaker;

  constructor(
    readonly redis: Redis,
    private readonly timeoutMs: number,
    breaker: BreakerSettings,
    private readonly counters: Counters,
    onBreaker: (state: BreakerState) => void,
    private readonly onFailure: (error: CacheError, operation: string) => void,
  ) {
    this.breaker = new CircuitBreaker(breaker, onBreaker);
  }

  /**
   * Runs one Redis operation under the breaker and the timeout.
   *
   * A command that timed out may still run later (ioredis queues commands while it
   * reconnects): every write here is a script that is safe to apply late — a fill needs its
   * lease, an invalidation or warm is idempotent and version-guarded.
   */
  async run<T>(operation: string, command: (redis: Redis) => Promise<T>): Promise<T> {
    if (!this.breaker.tryAcquire()) {
      this.counters.bypassed++;
      throw new CacheError({
        code: 'CACHE_CIRCUIT_OPEN',
        message: `Redis ${operation} skipped: the circuit breaker is open`,
        retriable: true,
      });
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        command(this.redis),
        new Promise<typeof timedOut>((resolve) => {
          timer = setTimeout(resolve, this.timeoutMs, timedOut);
        }),
      ]);
      if (result === timedOut) {
        this.counters.timeouts++;
        throw new CacheError({
          code: 'CACHE_REDIS_TIMEOUT',
          message: `Redis ${operation} did not answer within ${this.timeoutMs} ms`,
          retriable: true,
        });
      }
      this.breaker.success();
      return result;
    } catch (caught) {
      const error =
        caught instanceof CacheError
          ? caught
          : new CacheError({
              code: 'CACHE_REDIS_FAILED',
              message: `Redis ${operation} failed: ${(caught as Error)?.message ?? String(caught)}`,
              retriable: true,
              cause: caught,
            });
      // A script error (a bug, or a key of the wrong type) means Redis answered: it is healthy.
      if (isScriptError(caught)) this.breaker.success();
      else this.breaker.failure();
      this.counters.errors++;
      this.onFailure(error, operation);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** EVALSHA, falling back to EVAL when Redis lost its script cache (a restart). */
  async script(
    lua: LuaScript,
    keys: readonly string[],
    args: ReadonlyArray<string | Buffer | number>,
  ): Promise<unknown> {
    return this.run(lua.name, async (redis) => {
      try {
        return await redis.callBuffer('EVALSHA', lua.sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return await redis.callBuffer('EVAL', lua.source, keys.length, ...keys, ...args);
      }
    });
  }
}

function isScriptError(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'ReplyError' || error.constructor?.name === 'ReplyError') &&
    !/^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN)/.test(error.message)
  );
}

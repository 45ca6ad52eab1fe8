/** A map from event name to its payload type, e.g. `{ 'relay:batch:published': { count: number } }`. */
export type EventMap = Record<string, unknown>;

/** A listener of one event. */
export type Listener<T> = (payload: T) => void;

/**
 * A small typed event emitter for instrumentation. `on()` returns the unsubscribe function;
 * a listener that throws is isolated (reported to `onListenerError`), so instrumentation can
 * never break the component that emits. Emitters check {@link TypedEmitter.has} first, so
 * payloads are only built when someone listens.
 */
export class TypedEmitter<E extends EventMap> {
  private readonly listeners = new Map<keyof E, Set<Listener<never>>>();

  constructor(
    private readonly onListenerError: (error: unknown, event: keyof E) => void = () => undefined,
  ) {}

  /**
   * Subscribes to `event`.
   *
   * @returns A function that removes this listener.
   */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** True when `event` has at least one listener. */
  has(event: keyof E): boolean {
    return (this.listeners.get(event)?.size ?? 0) > 0;
  }

  /** Calls every listener of `event`; `payload` may be a thunk so it is built only when needed. */
  emit<K extends keyof E>(event: K, payload: E[K] | (() => E[K])): void {
    const set = this.listeners.get(event);
    if (!set || set.size === 0) return;
    const value = typeof payload === 'function' ? (payload as () => E[K])() : payload;
    for (const listener of set) {
      try {
        (listener as Listener<E[K]>)(value);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }
}

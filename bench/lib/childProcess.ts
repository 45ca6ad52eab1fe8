/**
 * Measured processes of the benchmarks (a relay, a CDC consumer) run in children of their own
 * so their memory is theirs alone. The protocol: the parent passes a JSON config as argv[2];
 * the child writes one JSON message per line on stdout (`{ "type": …, … }`), starts its work on
 * `go` and stops on `stop` (both lines on stdin), reporting `ready`, its own milestones,
 * `stopped` and `error` messages, each with its memory figures.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { mb } from './stats.js';

const benchDir = fileURLToPath(new URL('..', import.meta.url));

/** The memory figures a child reports, in KiB (from /proc/self/status). */
export interface ProcessMemory {
  vmHwmKb: number;
  vmRssKb: number;
  heapUsedKb: number;
}

/** The child's side: its memory figures now. */
export function processMemory(): ProcessMemory {
  const status = readFileSync('/proc/self/status', 'utf8');
  const field = (name: string): number =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return {
    vmHwmKb: field('VmHWM'),
    vmRssKb: field('VmRSS'),
    heapUsedKb: Math.round(process.memoryUsage().heapUsed / 1024),
  };
}

/** The child's side: one message to the parent. */
export function sendToParent(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** Current resident set of a process in KiB, or NaN once it is gone (sampled by the parent). */
export function residentKb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

/**
 * Samples a process's VmRSS every `everyMs` (a process that is gone counts for nothing);
 * `peakKb` is the highest so far, 0 before the first sample. `using` stops it at scope end.
 */
export function residentPeak(
  pid: number,
  everyMs: number,
): { readonly peakKb: number } & Disposable {
  let peakKb = 0;
  const sampler = setInterval(() => {
    const kb = residentKb(pid);
    if (kb > peakKb) peakKb = kb;
  }, everyMs);
  return {
    get peakKb() {
      return peakKb;
    },
    [Symbol.dispose]: () => clearInterval(sampler),
  };
}

/** A child's memory over its work, MiB: VmHWM before it, the peak, the sampled VmRSS peak. */
export interface MemoryPeak {
  baselineMb: number;
  /** VmHWM when the work was done or at stop, whichever is higher. */
  peakMb: number;
  sampledPeakMb: number;
  /** Peak minus baseline: what the work added. */
  addedMb: number;
}

/**
 * Starts a child that said `ready` (`go`), samples its VmRSS every `everyMs` while `work` runs
 * (it resolves with the message that ends the work), then stops the child.
 */
export async function measureChild<D extends ProcessMemory>(
  child: {
    readonly pid: number;
    next(type: 'ready', timeoutMs: number): Promise<ProcessMemory>;
    go(): void;
    stop(): Promise<ProcessMemory>;
  },
  everyMs: number,
  work: () => Promise<D>,
): Promise<MemoryPeak & { done: D }> {
  const ready = await child.next('ready', 60_000);
  using sampler = residentPeak(child.pid, everyMs);
  child.go();
  const done = await work();
  const stopped = await child.stop();
  const peakKb = Math.max(done.vmHwmKb, stopped.vmHwmKb);
  return {
    done,
    baselineMb: mb(ready.vmHwmKb),
    peakMb: mb(peakKb),
    sampledPeakMb: mb(sampler.peakKb),
    addedMb: mb(peakKb - ready.vmHwmKb),
  };
}

/** Every child message has a type; `error` and `stopped` are part of the protocol. */
export type ChildMessage =
  { type: 'error'; message: string } | ({ type: 'stopped' } & ProcessMemory) | { type: string };

/** A running child process. */
export interface BenchChild<M extends ChildMessage> {
  readonly pid: number;
  /** Resolves with the next message of this type (rejects if the process dies first). */
  next<T extends M['type']>(type: T, timeoutMs: number): Promise<Extract<M, { type: T }>>;
  /** Starts the child's work. */
  go(): void;
  /** Stops the child, waits for it to exit, and returns its `stopped` message. */
  stop(): Promise<Extract<M, { type: 'stopped' }>>;
  /** Errors the child reported, for the report. */
  readonly errors: string[];
}

/**
 * The parent's side: spawns `entry` on Node with tsx (from the bench package, which declares
 * it) and the source condition, and resolves once the child said `ready`.
 *
 * @param what - Names the child in errors ("relay process").
 * @param nodeArgs - Go before the entry point, e.g. `--cpu-prof --cpu-prof-dir=…`.
 */
export async function spawnBenchChild<M extends ChildMessage>(
  what: string,
  entry: string,
  config: unknown,
  nodeArgs: readonly string[] = [],
): Promise<BenchChild<M>> {
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      '--conditions=@trackops/source',
      '--import',
      'tsx',
      entry,
      JSON.stringify(config),
    ],
    { cwd: benchDir, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const errors: string[] = [];
  const waiting: Array<{ type: string; resolve: (message: M) => void }> = [];
  const received: M[] = [];
  let exited: Error | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = new Error(`${what} exited (${code ?? signal})`);
      resolve();
    }),
  );
  createInterface({ input: child.stdout }).on('line', (line) => {
    let message: M;
    try {
      message = JSON.parse(line) as M;
    } catch {
      return;
    }
    if (message.type === 'error') errors.push((message as { message: string }).message);
    const index = waiting.findIndex((w) => w.type === message.type);
    if (index >= 0) waiting.splice(index, 1)[0]!.resolve(message);
    else received.push(message);
  });

  const next = <T extends M['type']>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<M, { type: T }>> => {
    const index = received.findIndex((m) => m.type === type);
    if (index >= 0) return Promise.resolve(received.splice(index, 1)[0] as Extract<M, { type: T }>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${what}: no "${type}" within ${timeoutMs} ms`)),
        timeoutMs,
      );
      waiting.push({
        type,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message as Extract<M, { type: T }>);
        },
      });
      void exit.then(() => {
        clearTimeout(timer);
        reject(new Error(`${exited?.message}; errors: ${errors.join('; ') || 'none'}`));
      });
    });
  };

  const ready = await next('ready', 60_000).catch((error: Error) => {
    child.kill('SIGKILL');
    throw error;
  });
  // Put the ready message back for callers that want its memory figures.
  received.unshift(ready);

  let stopping: Promise<Extract<M, { type: 'stopped' }>> | undefined;
  return {
    pid: child.pid!,
    errors,
    next,
    go: () => child.stdin.write('go\n'),
    stop: () =>
      (stopping ??= (async () => {
        if (exited) throw exited;
        const stopped = next('stopped', 60_000) as Promise<Extract<M, { type: 'stopped' }>>;
        child.stdin.end('stop\n');
        try {
          return await stopped;
        } finally {
          const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exit;
          clearTimeout(killer);
        }
      })()),
  };
}

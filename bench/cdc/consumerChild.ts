/**
 * The parent's side of consumerProcess.ts: spawns it on Node with tsx (from the bench
 * package, which declares tsx) and the source condition, and turns its JSON lines into
 * promises.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ConsumerProcessConfig, ProcessMemory } from './consumerProcess.js';

const benchDir = fileURLToPath(new URL('..', import.meta.url));
const entry = fileURLToPath(new URL('./consumerProcess.ts', import.meta.url));

export type ConsumerMessage =
  | ({ type: 'ready' } & ProcessMemory)
  | ({ type: 'caught-up'; handled: number; ms: number } & ProcessMemory)
  | ({ type: 'stopped'; handled: number } & ProcessMemory)
  | { type: 'error'; message: string };

type Of<T extends ConsumerMessage['type']> = Extract<ConsumerMessage, { type: T }>;

/** A running consumer process. */
export interface ConsumerChild {
  readonly pid: number;
  /** Resolves with the next message of this type (rejects if the process dies first). */
  next<T extends ConsumerMessage['type']>(type: T, timeoutMs: number): Promise<Of<T>>;
  /** Starts consuming. */
  go(): void;
  /** Stops the consumer, waits for the process to exit, and returns its last memory figures. */
  stop(): Promise<Of<'stopped'>>;
  /** Errors the consumer reported (onError), for the report. */
  readonly errors: string[];
}

/** `nodeArgs` go before the entry point, e.g. `--cpu-prof --cpu-prof-dir=…` to profile it. */
export async function spawnConsumer(
  config: ConsumerProcessConfig,
  nodeArgs: readonly string[] = [],
): Promise<ConsumerChild> {
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
  const waiting: Array<{ type: string; resolve: (m: ConsumerMessage) => void }> = [];
  const received: ConsumerMessage[] = [];
  let exited: Error | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = new Error(`consumer process exited (${code ?? signal})`);
      resolve();
    }),
  );
  createInterface({ input: child.stdout }).on('line', (line) => {
    let message: ConsumerMessage;
    try {
      message = JSON.parse(line) as ConsumerMessage;
    } catch {
      return;
    }
    if (message.type === 'error') errors.push(message.message);
    const index = waiting.findIndex((w) => w.type === message.type);
    if (index >= 0) waiting.splice(index, 1)[0]!.resolve(message);
    else received.push(message);
  });

  const next = <T extends ConsumerMessage['type']>(type: T, timeoutMs: number): Promise<Of<T>> => {
    const index = received.findIndex((m) => m.type === type);
    if (index >= 0) return Promise.resolve(received.splice(index, 1)[0] as Of<T>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`consumer process: no "${type}" within ${timeoutMs} ms`)),
        timeoutMs,
      );
      waiting.push({
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Of<T>);
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

  let stopping: Promise<Of<'stopped'>> | undefined;
  return {
    pid: child.pid!,
    errors,
    next,
    go: () => child.stdin.write('go\n'),
    stop: () =>
      (stopping ??= (async () => {
        if (exited) throw exited;
        const stopped = next('stopped', 60_000);
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

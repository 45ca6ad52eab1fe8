/**
 * The parent's side of relayProcess.ts: spawns it on Node with tsx (from the bench package,
 * which declares tsx) and the source condition, and turns its JSON lines into promises.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ProcessMemory, RelayProcessConfig } from './relayProcess.js';

const benchDir = fileURLToPath(new URL('..', import.meta.url));
const entry = fileURLToPath(new URL('./relayProcess.ts', import.meta.url));

export type RelayMessage =
  | ({ type: 'ready' } & ProcessMemory)
  | ({ type: 'drained'; published: number; ms: number } & ProcessMemory)
  | ({ type: 'stopped'; published: number } & ProcessMemory)
  | { type: 'error'; message: string };

/** A running relay process. */
export interface RelayChild {
  readonly pid: number;
  /** Resolves with the next message of this type (rejects if the process dies first). */
  next<T extends RelayMessage['type']>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<RelayMessage, { type: T }>>;
  /** Starts relaying. */
  go(): void;
  /** Stops the relay, waits for the process to exit, and returns its last memory figures. */
  stop(): Promise<Extract<RelayMessage, { type: 'stopped' }>>;
  /** Errors the relay reported (onError), for the report. */
  readonly errors: string[];
}

/** Current resident set of a process in KiB, or NaN once it is gone. */
export function residentKb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

export async function spawnRelay(config: RelayProcessConfig): Promise<RelayChild> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=@trackops/source', '--import', 'tsx', entry, JSON.stringify(config)],
    { cwd: benchDir, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const errors: string[] = [];
  const waiting: Array<{ type: string; resolve: (m: RelayMessage) => void }> = [];
  const received: RelayMessage[] = [];
  let exited: Error | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = new Error(`relay process exited (${code ?? signal})`);
      resolve();
    }),
  );
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let message: RelayMessage;
    try {
      message = JSON.parse(line) as RelayMessage;
    } catch {
      return;
    }
    if (message.type === 'error') errors.push(message.message);
    const index = waiting.findIndex((w) => w.type === message.type);
    if (index >= 0) waiting.splice(index, 1)[0]!.resolve(message);
    else received.push(message);
  });

  const next = <T extends RelayMessage['type']>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<RelayMessage, { type: T }>> => {
    const index = received.findIndex((m) => m.type === type);
    if (index >= 0)
      return Promise.resolve(received.splice(index, 1)[0] as Extract<RelayMessage, { type: T }>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`relay process: no "${type}" within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const entryWaiting = {
        type,
        resolve: (m: RelayMessage) => {
          clearTimeout(timer);
          resolve(m as Extract<RelayMessage, { type: T }>);
        },
      };
      waiting.push(entryWaiting);
      void exit.then(() => {
        clearTimeout(timer);
        reject(new Error(`${exited?.message}; errors: ${errors.join('; ') || 'none'}`));
      });
    });
  };

  const ready = next('ready', 60_000);
  await ready.catch((error: Error) => {
    child.kill('SIGKILL');
    throw error;
  });
  // Put the ready message back for callers that want its memory figures.
  received.unshift(await ready);

  let stopping: Promise<Extract<RelayMessage, { type: 'stopped' }>> | undefined;
  return {
    pid: child.pid!,
    errors,
    next,
    go: () => child.stdin!.write('go\n'),
    stop: () =>
      (stopping ??= (async () => {
        if (exited) throw exited;
        const stopped = next('stopped', 60_000);
        child.stdin!.end('stop\n');
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

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.resolve(here, '..', '..', '..');

/** A relay child process and the batches it has reported. */
export interface RelayProcess {
  child: ChildProcess;
  /** Rows published so far, by the child's own count. */
  published: () => number;
  /** Resolves once the child has published at least `rows` rows. */
  waitForPublished: (rows: number, timeoutMs: number) => Promise<void>;
  /** Resolves when the process has exited (by itself or killed). */
  exited: Promise<void>;
  /** SIGKILL, no goodbye: the crash under test. */
  kill: () => Promise<void>;
  /** SIGTERM and wait for the graceful exit. */
  stop: () => Promise<void>;
}

/** Starts `support/relayProcess.ts` with the given environment; resolves once it relays. */
export async function startRelayProcess(env: Record<string, string>): Promise<RelayProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=@trackops/source', '--import', 'tsx', path.join(here, 'relayProcess.ts')],
    {
      cwd: packageDir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let published = 0;
  let stderr = '';
  const waiters = new Set<() => void>();
  let started!: () => void;
  const startedPromise = new Promise<void>((resolve) => (started = resolve));
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffer.slice(0, newline)) as { published?: number; started?: number };
      buffer = buffer.slice(newline + 1);
      if (line.started) started();
      if (line.published) published += line.published;
      for (const waiter of waiters) waiter();
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.race([
    startedPromise,
    exited.then(() => {
      throw new Error(`relay process exited before starting:\n${stderr}`);
    }),
  ]);
  return {
    child,
    exited,
    published: () => published,
    waitForPublished: (rows, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `relay process published ${published} < ${rows} rows in ${timeoutMs} ms\n${stderr}`,
              ),
            ),
          timeoutMs,
        );
        const check = (): void => {
          if (published < rows) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

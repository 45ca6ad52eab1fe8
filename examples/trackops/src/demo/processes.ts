/**
 * Runs the three services as child processes, the way they run in production: one Node
 * process each, configured by environment variables, stopped with SIGTERM (graceful) or
 * SIGKILL (a crash).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ServiceName } from '../shared/config.js';

const exampleDir = fileURLToPath(new URL('../..', import.meta.url));

/** A started service process. */
export interface ServiceProcess {
  readonly service: ServiceName;
  readonly url: string;
  readonly pid: number;
  /** Log lines the process wrote (JSON), newest last; the last 500 are kept. */
  readonly logs: string[];
  /** SIGTERM and wait for the exit (graceful: in-flight work finishes, offsets commit). */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit: a crash. */
  kill(): Promise<void>;
}

/**
 * Starts `service` (`src/<service>/main.ts` through tsx) and resolves with its URL once it logs
 * `listening` (an info line: run the services with `LOG_LEVEL` info or debug). Rejects with the log tail when it exits first or does not listen in time.
 */
export function startService(
  service: ServiceName,
  env: Record<string, string> = {},
  timeoutMs = 90_000,
): Promise<ServiceProcess> {
  const child = spawn(
    process.execPath,
    // The workspace packages resolve to their sources (no build needed), as in the tests.
    [
      '--conditions=@trackops/source',
      '--import',
      'tsx',
      fileURLToPath(new URL(`../${service}/main.ts`, import.meta.url)),
    ],
    { cwd: exampleDir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logs: string[] = [];
  const remember = (line: string): void => {
    logs.push(line);
    if (logs.length > 500) logs.shift();
  };
  createInterface({ input: child.stderr }).on('line', remember);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const stopWith = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return new Promise<ServiceProcess>((resolve, reject) => {
    const fail = (why: string): void => {
      child.kill('SIGKILL');
      reject(new Error(`${service} ${why}; last log lines:\n${logs.slice(-20).join('\n')}`));
    };
    const timer = setTimeout(() => fail(`did not listen within ${timeoutMs} ms`), timeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      fail(`exited with code ${String(code)} before listening`);
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      remember(line);
      const url = listeningUrl(line);
      if (url === undefined) return;
      clearTimeout(timer);
      resolve({
        service,
        url,
        pid: child.pid!,
        logs,
        stop: () => stopWith('SIGTERM'),
        kill: () => stopWith('SIGKILL'),
      });
    });
  });
}

function listeningUrl(line: string): string | undefined {
  try {
    const entry = JSON.parse(line) as { msg?: unknown; url?: unknown };
    return entry.msg === 'listening' && typeof entry.url === 'string' ? entry.url : undefined;
  } catch {
    return undefined;
  }
}

/** The processes' resident set sizes in MiB (from /proc). */
export function residentMiB(
  processes: readonly { pid: number; service: string }[],
): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const { pid, service } of processes) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      sizes[service] = Math.round(Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]) / 1024);
    } catch {
      sizes[service] = Number.NaN;
    }
  }
  return sizes;
}

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.resolve(here, '..', '..', '..');

/** A consumer child process and the rows it reported handling. */
export interface ConsumerProcess {
  /** Ids handled so far, in order, by the child's own report. */
  readonly handled: readonly number[];
  /** SIGKILL, no goodbye: the crash under test. Resolves once the process is gone. */
  kill: () => Promise<void>;
}

/** Starts `support/consumerProcess.ts` with the given environment; resolves once it consumes. */
export async function startConsumerProcess(env: Record<string, string>): Promise<ConsumerProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=@trackops/source', '--import', 'tsx', path.join(here, 'consumerProcess.ts')],
    { cwd: packageDir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const handled: number[] = [];
  let stderr = '';
  let buffer = '';
  let started!: () => void;
  const startedPromise = new Promise<void>((resolve) => (started = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffer.slice(0, newline)) as { id?: number; started?: boolean };
      buffer = buffer.slice(newline + 1);
      if (line.started) started();
      if (line.id !== undefined) handled.push(line.id);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.race([
    startedPromise,
    exited.then(() => {
      throw new Error(`consumer process exited before starting:\n${stderr}`);
    }),
  ]);
  return {
    handled,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

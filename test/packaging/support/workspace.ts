/**
 * The workspace as the packaging tests see it: its root, its packages as pnpm lists them, the
 * public ones and the entry points their `exports` maps offer, and a bounded way to run a
 * command that fails with its output.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The repository's root directory. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The fields of a package.json the packaging tests read. */
export interface PackageManifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly exports?: string | Record<string, unknown>;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}

/** One package of the pnpm workspace (the root excluded). */
export interface WorkspacePackage {
  readonly dir: string;
  readonly manifest: PackageManifest;
}

/** Options of {@link run}. */
export interface RunOptions {
  readonly cwd: string;
  /** The command is killed after this long, and the run fails saying so. */
  readonly timeoutMs: number;
  /** The whole environment of the command (the test's own by default). */
  readonly env?: NodeJS.ProcessEnv;
}

/** A command that failed or timed out, with what it printed. */
export class CommandError extends Error {
  constructor(
    message: string,
    /** Its standard output. */
    readonly stdout: string,
    /** Its standard error. */
    readonly stderr: string,
    options: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'CommandError';
  }
}

/**
 * Runs `file` with `args` and returns its standard output. A failure or a timeout throws a
 * {@link CommandError} naming the command and its directory, with both outputs in the message,
 * so the test report shows what went wrong.
 */
export async function run(file: string, args: readonly string[], options: RunOptions) {
  try {
    const { stdout } = await execFileAsync(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const {
      stdout = '',
      stderr = '',
      killed,
    } = error as {
      stdout?: string;
      stderr?: string;
      killed?: boolean;
    };
    const why = killed ? `killed after ${options.timeoutMs} ms` : 'failed';
    const command = [file, ...args].join(' ');
    throw new CommandError(
      `\`${command}\` ${why} in ${options.cwd}\n${stderr}\n${stdout}`.trimEnd(),
      stdout,
      stderr,
      { cause: error },
    );
  }
}

/** Every package of the workspace, as `pnpm ls -r` lists them, without the root. */
export async function workspacePackages(): Promise<WorkspacePackage[]> {
  const listed = JSON.parse(
    await run('pnpm', ['ls', '--recursive', '--depth', '-1', '--json'], {
      cwd: ROOT,
      timeoutMs: 60_000,
    }),
  ) as Array<{ path: string }>;
  const packages: WorkspacePackage[] = [];
  for (const { path: dir } of listed) {
    if (path.resolve(dir) === path.resolve(ROOT)) continue;
    const manifest = JSON.parse(
      await readFile(path.join(dir, 'package.json'), 'utf8'),
    ) as PackageManifest;
    packages.push({ dir, manifest });
  }
  return packages;
}

/** The packages that are published: every one not marked `private`. */
export async function publicPackages(): Promise<WorkspacePackage[]> {
  return (await workspacePackages()).filter((pkg) => pkg.manifest.private !== true);
}

/** One entry point of a package's `exports` map. */
export interface EntryPoint {
  /** The module specifier: the package name for `.`, `name/sub` for `./sub`. */
  readonly specifier: string;
  /** Whether ESM can import it (an `import` or `default` condition). */
  readonly importable: boolean;
  /** Whether CommonJS can require it (a `require` or `default` condition). */
  readonly requirable: boolean;
}

/**
 * The entry points a package offers: one per entry of its `exports` map (`./package.json` is
 * metadata, not a module), or the package itself when it has no map of subpaths.
 */
export function entryPoints(manifest: PackageManifest): EntryPoint[] {
  const { name, exports } = manifest;
  const offers = (target: unknown, condition: 'import' | 'require'): boolean =>
    typeof target === 'string' ||
    (typeof target === 'object' && target !== null && (condition in target || 'default' in target));
  if (exports === undefined || typeof exports === 'string')
    return [{ specifier: name, importable: true, requirable: true }];
  if (!Object.keys(exports).every((key) => key.startsWith('.')))
    return [
      {
        specifier: name,
        importable: offers(exports, 'import'),
        requirable: offers(exports, 'require'),
      },
    ];
  return Object.entries(exports)
    .filter(([subpath]) => subpath !== './package.json')
    .map(([subpath, target]) => ({
      specifier: subpath === '.' ? name : `${name}${subpath.slice(1)}`,
      importable: offers(target, 'import'),
      requirable: offers(target, 'require'),
    }));
}

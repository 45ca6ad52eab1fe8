/**
 * A project outside the workspace that installs the public packages the way users do: each
 * package packed by pnpm (which turns `workspace:*` into the version), all tarballs installed
 * with plain npm in one `npm install`, so the packages' dependencies on each other resolve to
 * the tarballs and everything else comes from the registry npm is configured with.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT, run, type WorkspacePackage } from './workspace.js';

/** npm's cache for these installs, kept under the git-ignored `.stack/` so reruns are quick. */
const NPM_CACHE = path.join(ROOT, '.stack', 'npm-cache');

/** A scratch project with the packed packages installed. */
export interface ScratchProject {
  /** Its directory, under the system's temporary directory. */
  readonly dir: string;
  /** Deletes the project. */
  remove(): Promise<void>;
}

/**
 * What the workspace's tools export into the test's environment and must not reach the scratch
 * project: vitest's `VITEST*` variables (a vitest started there must run as one of its own) and
 * the variables pnpm sets for the script it runs (npm would take its user agent and settings as
 * its own). The user's npm configuration — a registry mirror, say — passes through.
 */
const WORKSPACE_VARIABLES =
  /^(VITEST|PNPM_|npm_package_|npm_lifecycle_|npm_command$|npm_config_user_agent$|npm_config_verify_deps_before_run$|pnpm_)/;

/** The environment for commands run in the scratch project, with `extra` added. */
export function scratchEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([name]) => !WORKSPACE_VARIABLES.test(name));
  return { ...Object.fromEntries(inherited), ...extra };
}

/**
 * Packs `packages` and installs the tarballs, with `dependencies` (`name@range`, the third-party
 * packages the consumer code imports), into a new directory under the system's temporary
 * directory. Removes the directory again when anything fails.
 */
export async function installPacked(
  packages: readonly WorkspacePackage[],
  dependencies: readonly string[],
): Promise<ScratchProject> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'trackops-packaging-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    const tarballs = path.join(dir, 'tarballs');
    await mkdir(tarballs);
    for (const pkg of packages) {
      await run('pnpm', ['pack', '--pack-destination', tarballs], {
        cwd: pkg.dir,
        timeoutMs: 60_000,
      });
    }
    const packed = (await readdir(tarballs)).map((file) => path.join(tarballs, file));
    if (packed.length !== packages.length)
      throw new Error(`expected ${packages.length} tarballs, pnpm pack wrote ${packed.length}`);
    await writeFile(
      path.join(dir, 'package.json'),
      JSON.stringify({ name: 'trackops-packaging-scratch', version: '0.0.0', private: true }),
    );
    await run(
      'npm',
      [
        'install',
        '--cache',
        NPM_CACHE,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        ...packed,
        ...dependencies,
      ],
      { cwd: dir, timeoutMs: 240_000, env: scratchEnv() },
    );
    return { dir, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

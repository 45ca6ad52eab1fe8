/**
 * The packages as users get them: every public package built, packed by pnpm and installed with
 * plain npm into a project outside the workspace, where each entry point of its `exports` map
 * is imported from ESM and required from CommonJS with the exports of the workspace's sources,
 * a TypeScript consumer type-checks against the published declarations under `node16` and
 * `bundler` resolution, and a short outbox → Kafka → inbox and CDC → cache run works on the
 * stack with plain `node`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { stackEndpoints, uniqueName } from '@trackops/testkit';
import { installPacked, scratchEnv, type ScratchProject } from './support/scratch.js';
import {
  CommandError,
  entryPoints,
  publicPackages,
  ROOT,
  run,
  type EntryPoint,
  type PackageManifest,
  type WorkspacePackage,
} from './support/workspace.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');

/** An entry point with the export names of its source module in the workspace. */
interface ExpectedEntry extends EntryPoint {
  readonly names: readonly string[];
  /**
   * Made to run inside vitest (its package has vitest as a peer dependency), so imported there
   * rather than by plain Node.
   */
  readonly insideVitest: boolean;
}

/** Per module specifier, the file it resolved to and its export names. */
type LoadedModules = Record<string, { file: string; names?: string[] }>;

/**
 * The third-party packages the consumer code imports, at the versions this workspace tests
 * with: the devDependencies of this directory's package.json that are not workspace packages.
 */
async function consumerDependencies(): Promise<string[]> {
  const manifest = JSON.parse(
    await readFile(path.join(import.meta.dirname, 'package.json'), 'utf8'),
  ) as PackageManifest;
  return Object.entries(manifest.devDependencies ?? {})
    .filter(([, range]) => !range.startsWith('workspace:'))
    .map(([name, range]) => `${name}@${range}`);
}

/**
 * A TypeScript module that imports `entries` and names each of their runtime exports, so an
 * export missing from the declarations fails the type-check.
 */
function entriesModule(entries: readonly ExpectedEntry[]): string {
  const imports = entries.map((entry, i) => `import * as entry${i} from '${entry.specifier}';`);
  const values = entries.flatMap((entry, i) => entry.names.map((name) => `  entry${i}.${name},`));
  return `${imports.join('\n')}\n\nexport const values = [\n${values.join('\n')}\n];\n`;
}

/**
 * The errors of a failed `tsc` run that are ours: in the consumer, the entries module or the
 * packages' declarations. Errors inside third-party declarations (checked too, as
 * `skipLibCheck` is off) are theirs to fix; any other line mentioning an error counts.
 */
function ownTypeErrors(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => /error TS\d+/.test(line))
    .filter((line) => !/^node_modules\/(?!@trackops\/)/.test(line));
}

describe('the packages installed from their tarballs outside the workspace', () => {
  let packages: WorkspacePackage[];
  let scratch: ScratchProject | undefined;
  const entries: ExpectedEntry[] = [];

  const node = (args: readonly string[], timeoutMs = 60_000, env = scratchEnv()) =>
    run(process.execPath, args, { cwd: scratch!.dir, timeoutMs, env });

  beforeAll(async () => {
    packages = await publicPackages();
    for (const pkg of packages) {
      const insideVitest = 'vitest' in (pkg.manifest.peerDependencies ?? {});
      for (const entry of entryPoints(pkg.manifest)) {
        // Imported by vitest, which resolves the packages to their sources (`@trackops/source`).
        const source = (await import(/* @vite-ignore */ entry.specifier)) as object;
        entries.push({ ...entry, names: Object.keys(source).sort(), insideVitest });
      }
    }
    // Packs what dist/ holds: built here, unless the run that started this test just built it
    // (scripts/test.sh, whose package checks build every package first).
    if (process.env['TRACKOPS_PACKAGES_BUILT'] !== '1')
      await run('pnpm', ['run', 'build'], { cwd: ROOT, timeoutMs: 300_000 });
    scratch = await installPacked(packages, await consumerDependencies());
    for (const fixture of ['exports.mjs', 'exports.test.mjs', 'exports.cjs', 'scenario.mjs'])
      await copyFile(path.join(FIXTURES, fixture), path.join(scratch.dir, fixture));
  }, 600_000);

  afterAll(async () => {
    await scratch?.remove();
  });

  it('resolves each package to its own installed tarball, outside the workspace', async () => {
    expect(path.relative(ROOT, scratch!.dir).startsWith('..')).toBe(true);
    const scratchRequire = createRequire(path.join(scratch!.dir, 'package.json'));
    const installed = path.join(scratch!.dir, 'node_modules');
    expect(packages.map((pkg) => pkg.manifest.name)).toEqual(
      expect.arrayContaining(['@trackops/core', '@trackops/outbox', '@trackops/cdc']),
    );
    for (const { manifest } of packages) {
      const file = scratchRequire.resolve(`${manifest.name}/package.json`);
      expect(file).toBe(path.join(installed, manifest.name, 'package.json'));
      const published = JSON.parse(await readFile(file, 'utf8')) as PackageManifest;
      expect(published.version).toBe(manifest.version);
      // pnpm replaced `workspace:*` by the versions, which npm resolved to the other tarballs.
      const packageRequire = createRequire(file);
      for (const [dependency, range] of Object.entries(published.dependencies ?? {})) {
        expect(range, `${manifest.name} → ${dependency}`).not.toMatch(/^workspace:/);
        if (!packages.some((pkg) => pkg.manifest.name === dependency)) continue;
        expect(packageRequire.resolve(`${dependency}/package.json`)).toBe(
          path.join(installed, dependency, 'package.json'),
        );
      }
    }
  });

  /** Export names of `specifiers` imported by a vitest run in the scratch project. */
  const namesInsideVitest = async (specifiers: readonly string[]): Promise<LoadedModules> => {
    const output = path.join(scratch!.dir, 'exports-inside-vitest.json');
    const env = scratchEnv({
      TRACKOPS_SPECIFIERS: JSON.stringify(specifiers),
      TRACKOPS_EXPORTS_FILE: output,
    });
    await node(
      [path.join('node_modules', 'vitest', 'vitest.mjs'), 'run', 'exports.test.mjs'],
      120_000,
      env,
    );
    return JSON.parse(await readFile(output, 'utf8')) as LoadedModules;
  };

  /**
   * Expects each of `expected` loaded from a file of the installed tarballs ending in
   * `extension`, with the export names of its source.
   */
  const expectSameExports = (
    expected: readonly ExpectedEntry[],
    modules: LoadedModules,
    extension: string,
  ) => {
    const installed = path.join(scratch!.dir, 'node_modules', '@trackops');
    for (const { specifier, names } of expected) {
      expect(modules[specifier]?.names, specifier).toEqual(names);
      const file = modules[specifier]?.file ?? '';
      expect(file.startsWith(installed) && file.endsWith(extension), `${specifier}: ${file}`).toBe(
        true,
      );
    }
  };

  it('imports every entry point from ESM, with the exports of the sources', async () => {
    const importable = entries.filter((entry) => entry.importable);
    const inNode = importable.filter((entry) => !entry.insideVitest).map((e) => e.specifier);
    const inVitest = importable.filter((entry) => entry.insideVitest).map((e) => e.specifier);
    const modules = JSON.parse(await node(['exports.mjs', ...inNode])) as LoadedModules;
    if (inVitest.length > 0) {
      const files = JSON.parse(
        await node(['exports.mjs', '--resolve-only', ...inVitest]),
      ) as LoadedModules;
      const names = await namesInsideVitest(inVitest);
      for (const specifier of inVitest)
        modules[specifier] = { file: files[specifier]!.file, names: names[specifier]?.names };
    }
    expectSameExports(importable, modules, '.js');
  });

  it('requires every entry point from CommonJS, with the exports of the sources', async () => {
    const requirable = entries.filter((entry) => entry.requirable);
    const modules = JSON.parse(
      await node(['exports.cjs', ...requirable.map((entry) => entry.specifier)]),
    ) as LoadedModules;
    expectSameExports(requirable, modules, '.cjs');
  });

  /**
   * Type-checks the consumer and a module naming every export, as a file of each extension
   * (`.cts` naming the entry points CommonJS can require, the others those ESM can import),
   * with the scratch project's own TypeScript and `compilerOptions` written to `config`.
   */
  const typeCheck = async (
    config: string,
    compilerOptions: Record<string, unknown>,
    extensions: readonly string[],
  ) => {
    const dir = scratch!.dir;
    const files: string[] = [];
    for (const extension of extensions) {
      const reachable = entries.filter((entry) =>
        extension === '.cts' ? entry.requirable : entry.importable,
      );
      await copyFile(path.join(FIXTURES, 'consumer.ts'), path.join(dir, `consumer${extension}`));
      await writeFile(path.join(dir, `entries${extension}`), entriesModule(reachable));
      files.push(`consumer${extension}`, `entries${extension}`);
    }
    const options = {
      ...compilerOptions,
      target: 'es2022',
      strict: true,
      noEmit: true,
      // The packages' own declarations are checked too, not only their use.
      skipLibCheck: false,
      types: ['node'],
    };
    await writeFile(path.join(dir, config), JSON.stringify({ compilerOptions: options, files }));
    const tsc = path.join('node_modules', 'typescript', 'bin', 'tsc');
    try {
      await node([tsc, '-p', config, '--pretty', 'false'], 120_000);
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      // A failure with no error line at all (a crash, a timeout) fails as it is.
      if (!/error TS\d+/.test(error.stdout)) throw error;
      const own = ownTypeErrors(error.stdout);
      if (own.length > 0)
        throw new Error(
          `${config}: the consumer or the packages' declarations do not type-check:\n${own.join('\n')}`,
          { cause: error },
        );
    }
  };

  it('type-checks a TypeScript consumer under node16 resolution, from ESM and CommonJS', async () => {
    await typeCheck('tsconfig.node16.json', { module: 'node16', moduleResolution: 'node16' }, [
      '.mts',
      '.cts',
    ]);
  });

  it('type-checks a TypeScript consumer under bundler resolution', async () => {
    await typeCheck('tsconfig.bundler.json', { module: 'esnext', moduleResolution: 'bundler' }, [
      '.ts',
    ]);
  });

  it('runs outbox → Kafka → inbox and CDC → cache against the stack with plain node', async () => {
    const env = scratchEnv({ ...stackEndpoints(), SCENARIO_ID: uniqueName('packaging') });
    let output: string;
    try {
      output = await node(['scenario.mjs', 'run'], 180_000, env);
    } catch (error) {
      // A killed run had no chance to clean up after itself.
      await node(['scenario.mjs', 'cleanup'], 120_000, env).catch(() => undefined);
      throw error;
    }
    const { outbox, cdc } = JSON.parse(output) as {
      outbox: {
        applied: Record<string, number>;
        duplicates: string[];
        redeliveredId: string;
        published: number;
        backlog: number;
      };
      cdc: {
        changes: string[];
        loaded: string;
        cached: string;
        afterUpdate: string | null;
        reloaded: string;
      };
    };
    // Each event applied exactly once; the redelivered record was recognised by its id.
    expect(outbox.applied).toEqual({ 'o-1': 1, 'o-2': 1, 'o-3': 1 });
    expect(outbox.duplicates).toEqual([outbox.redeliveredId]);
    expect(outbox).toMatchObject({ published: 3, backlog: 0 });
    // The snapshot read, then the update; the update dropped the cached entry.
    expect(cdc.changes).toEqual(['r', 'u']);
    expect(cdc).toMatchObject({
      loaded: 'packed',
      cached: 'packed',
      afterUpdate: null,
      reloaded: 'shipped',
    });
  });
});

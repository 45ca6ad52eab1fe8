/**
 * The release flow, on a copy of the workspace's manifests (never on the repository itself):
 * `changeset version` bumps the packages a changeset names, patch-bumps the public packages that
 * depend on them, writes their CHANGELOG.md files, consumes the changesets, and leaves the
 * private packages (the example, infra, the benchmarks) unversioned; `pnpm run version-packages`
 * (scripts/version-packages.mjs) does that and sets each exported `VERSION` constant.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  ROOT,
  run,
  workspacePackages,
  type PackageManifest,
  type WorkspacePackage,
} from './support/workspace.js';

type Bump = 'major' | 'minor' | 'patch';

const CHANGESET = path.join(ROOT, 'node_modules', '.bin', 'changeset');
const VERSION_PACKAGES = path.join(ROOT, 'scripts', 'version-packages.mjs');

/** `version` bumped as changesets does for a release version (`x.y.z`, no pre-release). */
function bumped(version: string, bump: Bump): string {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!match) throw new Error(`bumped: expected a release version x.y.z, got "${version}"`);
  const [major, minor, patch] = match.slice(1).map(Number) as [number, number, number];
  if (bump === 'major') return `${major + 1}.0.0`;
  if (bump === 'minor') return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

/** The packages a changeset file's front matter names, with their bumps. */
function releasesOf(changeset: string): Map<string, Bump> {
  const frontMatter = /^---\n([\s\S]*?)\n---/.exec(changeset)?.[1] ?? '';
  const releases = new Map<string, Bump>();
  for (const line of frontMatter.split('\n')) {
    const release = /^['"]?([^'"]+)['"]?:\s*(major|minor|patch)\s*$/.exec(line);
    if (release) releases.set(release[1]!, release[2] as Bump);
  }
  return releases;
}

/** The public packages that depend on `name`, directly or through other workspace packages. */
function dependentsOf(name: string, packages: readonly WorkspacePackage[]): Set<string> {
  const dependents = new Set<string>();
  for (let grew = true; grew;) {
    grew = false;
    for (const { manifest } of packages) {
      if (manifest.private === true || dependents.has(manifest.name)) continue;
      const dependencies = Object.keys(manifest.dependencies ?? {});
      if (dependencies.some((dependency) => dependency === name || dependents.has(dependency))) {
        dependents.add(manifest.name);
        grew = true;
      }
    }
  }
  return dependents;
}

const VERSION_DECLARATION = /export const VERSION = '([^']*)';/;

/** The source file of `pkg` that declares its exported `VERSION`, if it has one. */
async function versionFileOf(pkg: WorkspacePackage): Promise<string | undefined> {
  const src = path.join(pkg.dir, 'src');
  if (!(await exists(src))) return undefined;
  for (const name of await readdir(src)) {
    const file = path.join(src, name);
    if (name.endsWith('.ts') && VERSION_DECLARATION.test(await readFile(file, 'utf8'))) return file;
  }
  return undefined;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

describe('changeset version', () => {
  const copies: string[] = [];
  afterEach(async () => {
    for (const dir of copies.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  /**
   * What changesets reads, copied to a temporary directory: the root manifest, the workspace
   * file, `.changeset/` and every package's manifest. With `pending: false` the pending
   * changesets are left out.
   */
  async function copyWorkspace(packages: readonly WorkspacePackage[], pending: boolean) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'trackops-changesets-'));
    copies.push(dir);
    for (const file of ['package.json', 'pnpm-workspace.yaml'])
      await cp(path.join(ROOT, file), path.join(dir, file));
    await cp(path.join(ROOT, '.changeset'), path.join(dir, '.changeset'), {
      recursive: true,
      filter: (source) => pending || !/\.changeset\/(?!README\.md$)[^/]+\.md$/.test(source),
    });
    for (const pkg of packages) {
      const target = path.join(dir, path.relative(ROOT, pkg.dir));
      await mkdir(target, { recursive: true });
      await cp(path.join(pkg.dir, 'package.json'), path.join(target, 'package.json'));
      const versionFile = await versionFileOf(pkg);
      if (versionFile !== undefined) {
        await mkdir(path.join(target, 'src'), { recursive: true });
        await cp(versionFile, path.join(target, path.relative(pkg.dir, versionFile)));
      }
    }
    return dir;
  }

  async function manifestIn(dir: string, pkg: WorkspacePackage): Promise<PackageManifest> {
    const file = path.join(dir, path.relative(ROOT, pkg.dir), 'package.json');
    return JSON.parse(await readFile(file, 'utf8')) as PackageManifest;
  }

  async function changelogIn(dir: string, pkg: WorkspacePackage): Promise<string | undefined> {
    const file = path.join(dir, path.relative(ROOT, pkg.dir), 'CHANGELOG.md');
    return (await exists(file)) ? readFile(file, 'utf8') : undefined;
  }

  it('bumps the named package and its dependents, writes changelogs, skips private packages', async () => {
    const packages = await workspacePackages();
    const dir = await copyWorkspace(packages, false);
    const summary = 'Proves the release flow: a minor change of the core package.';
    await writeFile(
      path.join(dir, '.changeset', 'release-flow-test.md'),
      `---\n'@trackops/core': minor\n---\n\n${summary}\n`,
    );

    await run('node', [VERSION_PACKAGES, dir], { cwd: dir, timeoutMs: 60_000 });

    const core = packages.find((pkg) => pkg.manifest.name === '@trackops/core')!;
    const coreVersion = bumped(core.manifest.version, 'minor');
    expect((await manifestIn(dir, core)).version).toBe(coreVersion);
    expect(await changelogIn(dir, core)).toContain(
      `## ${coreVersion}\n\n### Minor Changes\n\n- ${summary}`,
    );

    const dependents = dependentsOf('@trackops/core', packages);
    expect(dependents.size).toBeGreaterThan(0);
    for (const pkg of packages) {
      if (pkg === core) continue;
      const after = await manifestIn(dir, pkg);
      const changelog = await changelogIn(dir, pkg);
      if (dependents.has(pkg.manifest.name)) {
        // Published with exact versions of their workspace dependencies (pnpm turns
        // `workspace:*` into them), so a new core needs a new release of each dependent.
        const version = bumped(pkg.manifest.version, 'patch');
        expect(after.version, pkg.manifest.name).toBe(version);
        expect(changelog, pkg.manifest.name).toContain(`## ${version}\n\n### Patch Changes`);
        expect(changelog, pkg.manifest.name).toContain(`@trackops/core@${coreVersion}`);
        expect(after.dependencies, pkg.manifest.name).toEqual(pkg.manifest.dependencies);
      } else {
        expect(after, pkg.manifest.name).toEqual(pkg.manifest);
        expect(changelog, pkg.manifest.name).toBeUndefined();
      }
    }
    expect(packages.filter((pkg) => pkg.manifest.private === true).length).toBeGreaterThan(0);
    expect(await readdir(path.join(dir, '.changeset'))).not.toContain('release-flow-test.md');

    // scripts/version-packages.mjs also sets each exported VERSION constant to the new version.
    let constants = 0;
    for (const pkg of packages) {
      const versionFile = await versionFileOf(pkg);
      if (versionFile === undefined || pkg.manifest.private === true) continue;
      const copied = path.join(dir, path.relative(ROOT, versionFile));
      const declared = VERSION_DECLARATION.exec(await readFile(copied, 'utf8'))?.[1];
      expect(declared, pkg.manifest.name).toBe((await manifestIn(dir, pkg)).version);
      constants++;
    }
    expect(constants).toBeGreaterThan(1);
  });

  it('applies the pending changesets to public packages only', async () => {
    const packages = await workspacePackages();
    const dir = await copyWorkspace(packages, true);
    const pending = (await readdir(path.join(dir, '.changeset'))).filter(
      (file) => file.endsWith('.md') && file !== 'README.md',
    );
    const released = new Set<string>();
    for (const file of pending) {
      const releases = releasesOf(await readFile(path.join(dir, '.changeset', file), 'utf8'));
      expect(releases.size, file).toBeGreaterThan(0);
      for (const name of releases.keys()) released.add(name);
    }

    await run(CHANGESET, ['version'], { cwd: dir, timeoutMs: 60_000 });

    for (const pkg of packages) {
      const after = await manifestIn(dir, pkg);
      if (pkg.manifest.private === true) {
        expect(released.has(pkg.manifest.name), pkg.manifest.name).toBe(false);
        expect(after, pkg.manifest.name).toEqual(pkg.manifest);
        expect(await changelogIn(dir, pkg), pkg.manifest.name).toBeUndefined();
      } else if (released.has(pkg.manifest.name)) {
        expect(after.version, pkg.manifest.name).not.toBe(pkg.manifest.version);
        expect(await changelogIn(dir, pkg), pkg.manifest.name).toContain(`## ${after.version}`);
      }
    }
    expect(await readdir(path.join(dir, '.changeset'))).toEqual(
      expect.not.arrayContaining(pending),
    );
  });
});

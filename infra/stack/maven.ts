import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, stackDir } from './config.js';
import { aptInstall } from './install.js';
import { hasCommand, run } from './process.js';

const pom = path.join(repoRoot, 'infra', 'maven', 'pom.xml');
const cacheDir = path.join(stackDir, 'maven');

/** Which dependency set of infra/maven/pom.xml to resolve. */
export type MavenProfile = 'broker' | 'connect' | 'debezium';

function ensureJavaAndMaven(): void {
  if (!hasCommand('java')) aptInstall(['openjdk-17-jre-headless'], 'Java 17 is not installed');
  if (!hasCommand('mvn')) aptInstall(['maven'], 'Maven is not installed');
}

/**
 * The jars of one profile, resolved (and downloaded on first use) by Maven into its local
 * repository. The resolved list is remembered per pom content, so later runs start without
 * invoking Maven at all.
 */
export function classpath(profile: MavenProfile): string[] {
  const digest = createHash('sha256').update(readFileSync(pom)).digest('hex').slice(0, 12);
  const listFile = path.join(cacheDir, `${profile}-${digest}.classpath`);
  const cached = existsSync(listFile) ? readFileSync(listFile, 'utf8').trim().split(':') : [];
  if (cached.length > 0 && cached.every((jar) => existsSync(jar))) return cached;

  ensureJavaAndMaven();
  mkdirSync(cacheDir, { recursive: true });
  console.log(`[stack] resolving the ${profile} jars with Maven (first run only)`);
  run('mvn', [
    '-q',
    '-B',
    '-f',
    pom,
    '-P',
    profile,
    'dependency:build-classpath',
    `-Dmdep.outputFile=${listFile}`,
    // Maven 3.8 reads no MAVEN_ARGS, so a separate local repository (a CI cache, or an
    // empty one to prove a cold start) is passed through our own variable.
    ...(process.env['TRACKOPS_MAVEN_REPO']
      ? [`-Dmaven.repo.local=${process.env['TRACKOPS_MAVEN_REPO']}`]
      : []),
  ]);
  return readFileSync(listFile, 'utf8').trim().split(':');
}

/**
 * A Connect plugin directory holding (links to) the Debezium connector's jars. Connect gives
 * each directory under plugin.path its own class loader, which keeps Debezium's dependencies
 * from clashing with the worker's.
 */
export function debeziumPluginPath(): string {
  const pluginPath = path.join(stackDir, 'connect', 'plugins');
  const dir = path.join(pluginPath, 'debezium-connector-postgres');
  const jars = classpath('debezium');
  const wanted = new Set(jars.map((jar) => path.basename(jar)));
  const present = existsSync(dir) ? readdirSync(dir) : [];
  if (present.length !== wanted.size || !present.every((name) => wanted.has(name))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const jar of jars) symlinkSync(jar, path.join(dir, path.basename(jar)));
  }
  return pluginPath;
}

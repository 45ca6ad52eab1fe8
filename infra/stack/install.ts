import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hasCommand, run } from './process.js';

let aptUpdated = false;

/**
 * Installs Debian packages when running as root (the machines this project targets);
 * elsewhere explains what to install, since a library's scripts must not sudo.
 */
export function aptInstall(packages: readonly string[], why: string): void {
  if (process.getuid?.() !== 0 || !hasCommand('apt-get')) {
    throw new Error(
      `${why}: install the Debian/Ubuntu packages ${packages.join(' ')} (or set the URL env var to use your own server)`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    console.log(`[stack] apt-get update (${why})`);
    run('apt-get', ['update', '-q'], { env });
    aptUpdated = true;
  }
  console.log(`[stack] apt-get install ${packages.join(' ')}`);
  run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], { env });
}

/**
 * Installing Debian's postgresql-15 normally creates and starts a "main" cluster on 5432.
 * The stack only wants the binaries, so turn that off before installing the server.
 */
export function installPostgresBinaries(major: number): void {
  const conf = '/etc/postgresql-common/createcluster.conf';
  if (!existsSync(conf)) aptInstall(['postgresql-common'], `PostgreSQL ${major} is not installed`);
  const text = readFileSync(conf, 'utf8');
  if (!/^\s*create_main_cluster\s*=\s*false/m.test(text)) {
    writeFileSync(conf, `${text.trimEnd()}\ncreate_main_cluster = false\n`);
  }
  aptInstall([`postgresql-${major}`], `PostgreSQL ${major} is not installed`);
}

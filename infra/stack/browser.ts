import { existsSync } from 'node:fs';
import { aptInstall } from './install.js';

/** Where Debian's `chromium` package puts the browser. */
const debianChromium = '/usr/bin/chromium';

/**
 * The path of a headless-capable Chromium for browser tests (the example's console test drives
 * it with playwright-core). `CHROMIUM_PATH` wins; otherwise Debian's `chromium` package,
 * installed when missing. Browsers are never downloaded by Playwright itself: its own builds
 * come from a host the project's machines cannot reach, and the Debian one is kept patched.
 *
 * @throws Error naming the package to install when it is missing and cannot be installed here
 *   (not root, or no apt-get), or when `CHROMIUM_PATH` names no file.
 */
export function ensureChromium(env: NodeJS.ProcessEnv = process.env): string {
  const given = env['CHROMIUM_PATH'];
  if (given !== undefined && given !== '') {
    if (!existsSync(given)) throw new Error(`CHROMIUM_PATH: no browser at ${given}`);
    return given;
  }
  if (!existsSync(debianChromium)) {
    aptInstall(['chromium'], 'Chromium is not installed (the console test drives it)');
  }
  if (!existsSync(debianChromium)) {
    throw new Error(`Chromium was installed but ${debianChromium} is missing; set CHROMIUM_PATH`);
  }
  return debianChromium;
}

/**
 * The parent's side of rssProcess.ts (see ../lib/childProcess.ts for the protocol).
 */
import { fileURLToPath } from 'node:url';
import { spawnBenchChild, type BenchChild, type ProcessMemory } from '../lib/childProcess.js';
import type { RssProcessConfig } from './rssProcess.js';

const entry = fileURLToPath(new URL('./rssProcess.ts', import.meta.url));

export type RssMessage =
  | ({ type: 'ready' } & ProcessMemory)
  | ({
      type: 'checkpoint';
      keys: number;
      ms: number;
      loads: number;
      errors: number;
    } & ProcessMemory)
  | ({ type: 'done'; ms: number } & ProcessMemory)
  | ({ type: 'stopped' } & ProcessMemory)
  | { type: 'error'; message: string };

/** A running cache process. */
export type RssChild = BenchChild<RssMessage>;

export function spawnRssProcess(config: RssProcessConfig): Promise<RssChild> {
  return spawnBenchChild<RssMessage>('cache process', entry, config);
}

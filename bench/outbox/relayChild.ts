/**
 * The parent's side of relayProcess.ts (see ../lib/childProcess.ts for the protocol).
 */
import { fileURLToPath } from 'node:url';
import { spawnBenchChild, type BenchChild, type ProcessMemory } from '../lib/childProcess.js';
import type { RelayProcessConfig } from './relayProcess.js';

const entry = fileURLToPath(new URL('./relayProcess.ts', import.meta.url));

export type RelayMessage =
  | ({ type: 'ready' } & ProcessMemory)
  | ({ type: 'drained'; published: number; ms: number } & ProcessMemory)
  | ({ type: 'stopped'; published: number } & ProcessMemory)
  | { type: 'error'; message: string };

/** A running relay process. */
export type RelayChild = BenchChild<RelayMessage>;

export function spawnRelay(config: RelayProcessConfig): Promise<RelayChild> {
  return spawnBenchChild<RelayMessage>('relay process', entry, config);
}

/**
 * The parent's side of consumerProcess.ts (see ../lib/childProcess.ts for the protocol).
 */
import { fileURLToPath } from 'node:url';
import { spawnBenchChild, type BenchChild, type ProcessMemory } from '../lib/childProcess.js';
import type { ConsumerProcessConfig } from './consumerProcess.js';
const entry = fileURLToPath(new URL('./consumerProcess.ts', import.meta.url));

export type ConsumerMessage =
  | ({ type: 'ready' } & ProcessMemory)
  | ({ type: 'caught-up'; handled: number; ms: number } & ProcessMemory)
  | ({ type: 'stopped'; handled: number } & ProcessMemory)
  | { type: 'error'; message: string };

/** A running consumer process. */
export type ConsumerChild = BenchChild<ConsumerMessage>;

/** `nodeArgs` go before the entry point, e.g. `--cpu-prof --cpu-prof-dir=…` to profile it. */
export function spawnConsumer(
  config: ConsumerProcessConfig,
  nodeArgs: readonly string[] = [],
): Promise<ConsumerChild> {
  return spawnBenchChild<ConsumerMessage>('consumer process', entry, config, nodeArgs);
}

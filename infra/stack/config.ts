import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: infra/stack/config.ts is two levels below it. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Everything the stack writes lives here (git-ignored). */
export const stackDir = process.env['TRACKOPS_STACK_DIR'] ?? path.join(repoRoot, '.stack');

/** The file `up` writes with the endpoints, in `KEY=value` lines a shell can source. */
export const envFile = path.join(stackDir, 'env');

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`${name} must be a TCP port (1-65535), got "${raw}"`);
  }
  return value;
}

/**
 * Ports of the project's own servers. They are deliberately not the standard ones: the
 * machines this runs on (and users' laptops) often have their own PostgreSQL and Redis there.
 * Connect keeps 8083 because the original TrackOps system documents it there.
 */
export const ports = {
  postgres: port('TRACKOPS_PG_PORT', 55432),
  redis: port('TRACKOPS_REDIS_PORT', 56379),
  kafka: port('TRACKOPS_KAFKA_PORT', 59092),
  kafkaController: port('TRACKOPS_KAFKA_CONTROLLER_PORT', 59093),
  connect: port('TRACKOPS_CONNECT_PORT', 8083),
} as const;

/** Every server binds here only. */
export const host = '127.0.0.1';

/** Pinned versions; infra/README.md says why these. */
export const versions = {
  postgresMajor: 15,
  redisMajor: 7,
  kafka: '3.9.1',
  debezium: '3.2.7.Final',
} as const;

/** Small heaps: the machines have 2 cores and run the tests beside the JVMs. */
export const heaps = {
  kafka: process.env['TRACKOPS_KAFKA_HEAP'] ?? '-Xms128m -Xmx512m',
  connect: process.env['TRACKOPS_CONNECT_HEAP'] ?? '-Xms128m -Xmx768m',
} as const;

/** A short stable id of this checkout, used where a path outside the repo is needed. */
export const checkoutId = createHash('sha256').update(repoRoot).digest('hex').slice(0, 10);

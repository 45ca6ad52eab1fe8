import {
  resolveContainerOptions,
  type StartContainersOptions,
  type StartedContainers,
} from './containerOptions.js';
import type { launchContainers } from './containers.js';
import { TestkitError } from './errors.js';

/** The packages `startContainers()` loads; optional peer dependencies of the test kit. */
const containerPackages = ['testcontainers', '@testcontainers/postgresql', '@testcontainers/redis'];

function isMissingContainerPackage(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    containerPackages.some((name) => String((error as Error).message).includes(`'${name}`))
  );
}

/**
 * Starts PostgreSQL (`wal_level=logical`), Redis, a single-node KRaft Kafka and Kafka Connect
 * with Debezium with [Testcontainers](https://node.testcontainers.org), each in a container on
 * one new Docker network, and returns their endpoints.
 *
 * PostgreSQL, Redis and Kafka start side by side; Connect once Kafka is ready. The endpoints are
 * the ports Docker publishes on the Docker host, except `CONNECT_DATABASE_URL`, which is how
 * Debezium, inside the Connect container, reaches PostgreSQL (`postgres:5432` on the network).
 * If any container fails to start, those already started are stopped and the error names the
 * component and its image. Testcontainers' own settings (`DOCKER_HOST`,
 * `TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX` …) apply as usual.
 *
 * Needs a Docker engine (or another runtime Testcontainers supports) and the optional peer
 * dependencies `testcontainers`, `@testcontainers/postgresql` and `@testcontainers/redis`;
 * `testcontainers` is loaded only when this is called.
 *
 * @param options - Images and JVM heaps; see {@link startContainersOptionsSchema}.
 * @returns The endpoints and a `stop()` that removes everything again.
 * @throws {@link TestkitError} `TESTKIT_NO_CONTAINER_RUNTIME` at once when there is no Docker
 *   engine or the Testcontainers packages are not installed, saying so.
 *
 * @example
 * ```ts
 * const stack = await startContainers();
 * try {
 *   // … stack.endpoints.DATABASE_URL, stack.endpoints.KAFKA_BROKERS …
 * } finally {
 *   await stack.stop();
 * }
 * ```
 */
export async function startContainers(
  options: StartContainersOptions = {},
): Promise<StartedContainers> {
  const { images, heaps } = resolveContainerOptions(options, process.env);
  let launch: typeof launchContainers;
  try {
    ({ launchContainers: launch } = await import('./containers.js'));
  } catch (error) {
    if (!isMissingContainerPackage(error)) throw error;
    throw new TestkitError({
      code: 'TESTKIT_NO_CONTAINER_RUNTIME',
      message: `startContainers() needs the Testcontainers packages: install ${containerPackages.join(', ')} as dev dependencies`,
      cause: error,
    });
  }
  return launch(images, heaps);
}

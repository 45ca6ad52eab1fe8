/**
 * The stack on Testcontainers, for machines that have a Docker engine: PostgreSQL, Redis, a
 * single-node KRaft Kafka and Kafka Connect with Debezium, each in a container of its own on one
 * Docker network created for the run.
 *
 * Only `startContainers()` (startContainers.ts) imports this file, dynamically, so machines
 * without Docker (or without `testcontainers` installed) never load `testcontainers`. The
 * containers live until `stop()` (and Testcontainers' reaper removes them should the process
 * die first).
 *
 * @internal
 */
import { randomBytes } from 'node:crypto';
import { PostgreSqlContainer } from '@testcontainers/postgresql';
import { RedisContainer } from '@testcontainers/redis';
import {
  BoundPorts,
  GenericContainer,
  Network,
  Wait,
  getContainerRuntimeClient,
  waitForContainer,
  type StartedNetwork,
  type StartedTestContainer,
} from 'testcontainers';
import type { ContainerHeaps, ContainerImages, StartedContainers } from './containerOptions.js';
import { debeziumPostgresConnectorClass } from './connect.js';
import type { StackEndpoints } from './endpoints.js';
import { TestkitError } from './errors.js';

/** Network aliases: how the containers reach each other on the run's network. */
const alias = { postgres: 'postgres', redis: 'redis', kafka: 'kafka', connect: 'connect' } as const;

const POSTGRES_PORT = 5432;
const REDIS_PORT = 6379;
/** Kafka listener published to the host; advertised as the host and its mapped port. */
const KAFKA_HOST_PORT = 9092;
/** Kafka listener for containers on the network (Connect); advertised as `kafka:19092`. */
const KAFKA_NETWORK_PORT = 19092;
const KAFKA_CONTROLLER_PORT = 9093;
const CONNECT_PORT = 8083;

/** How long a container may take from start to ready (pulling its image comes before). */
const STARTUP_TIMEOUT_MS = 180_000;

/** The image's superuser and its database; the server lives only as long as the run. */
const POSTGRES_USER = 'postgres';
const POSTGRES_PASSWORD = 'postgres';
const POSTGRES_DB = 'postgres';

/**
 * PostgreSQL 15 with the settings of the native test cluster (infra/config/postgresql.conf):
 * logical WAL and room for the many slots and connections parallel test files create.
 */
async function startPostgres(
  network: StartedNetwork,
  image: string,
): Promise<StartedTestContainer> {
  return new PostgreSqlContainer(image)
    .withUsername(POSTGRES_USER)
    .withPassword(POSTGRES_PASSWORD)
    .withDatabase(POSTGRES_DB)
    .withCommand([
      'postgres',
      ...['-c', 'wal_level=logical'],
      ...['-c', 'max_replication_slots=40'],
      ...['-c', 'max_wal_senders=40'],
      ...['-c', 'max_connections=300'],
      // A throwaway server: durability against power loss is not what the tests prove.
      ...['-c', 'fsync=off'],
      ...['-c', 'full_page_writes=off'],
    ])
    .withNetwork(network)
    .withNetworkAliases(alias.postgres)
    .withStartupTimeout(STARTUP_TIMEOUT_MS)
    .start();
}

/** Redis 7, as the image starts it (no persistence is configured). */
async function startRedis(network: StartedNetwork, image: string): Promise<StartedTestContainer> {
  return new RedisContainer(image)
    .withNetwork(network)
    .withNetworkAliases(alias.redis)
    .withStartupTimeout(STARTUP_TIMEOUT_MS)
    .start();
}

/** Where the Kafka container's entry command waits for its advertised listeners. */
const KAFKA_LISTENERS_FILE = '/tmp/trackops-advertised-listeners';

/**
 * A single KRaft node (broker and controller in one process) of the official `apache/kafka`
 * image, with two client listeners: `HOST`, published on a random host port for the tests, and
 * `NETWORK` on the run's network for Connect.
 *
 * The host listener must advertise the host port Docker maps, which is known only once the
 * container runs. So the container starts with a command that waits for a file, the mapped port
 * is read, the advertised listeners are written into that file and only then does the image's
 * own start script (`/etc/kafka/docker/run`) run, configuring the broker from the `KAFKA_*`
 * variables. Ready when the broker logs that it started.
 */
async function startKafka(
  network: StartedNetwork,
  image: string,
  heaps: ContainerHeaps,
): Promise<StartedTestContainer> {
  const container = await new GenericContainer(image)
    .withNetwork(network)
    .withNetworkAliases(alias.kafka)
    .withExposedPorts(KAFKA_HOST_PORT)
    .withEnvironment({
      // A KRaft cluster id is 16 bytes in URL-safe base64; a new one per run.
      CLUSTER_ID: randomBytes(16).toString('base64url'),
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_CONTROLLER_QUORUM_VOTERS: `1@localhost:${KAFKA_CONTROLLER_PORT}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENERS: [
        `HOST://0.0.0.0:${KAFKA_HOST_PORT}`,
        `NETWORK://0.0.0.0:${KAFKA_NETWORK_PORT}`,
        `CONTROLLER://0.0.0.0:${KAFKA_CONTROLLER_PORT}`,
      ].join(','),
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'HOST:PLAINTEXT,NETWORK:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'NETWORK',
      KAFKA_LOG_DIRS: '/tmp/kraft-combined-logs',
      // As the native broker (infra/stack/kafka.ts): one replica, few internal partitions and
      // no rebalance delay, so the many short-lived test groups join at once.
      KAFKA_NUM_PARTITIONS: '1',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'true',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: '10',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS: '5',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_HEAP_OPTS: heaps.kafka,
    })
    .withEntrypoint(['sh', '-c'])
    .withCommand([
      [
        `echo 'waiting for ${KAFKA_LISTENERS_FILE}'`,
        `while [ ! -s ${KAFKA_LISTENERS_FILE} ]; do sleep 0.1; done`,
        `export KAFKA_ADVERTISED_LISTENERS="$(cat ${KAFKA_LISTENERS_FILE})"`,
        'exec /etc/kafka/docker/run',
      ].join('; '),
    ])
    .withWaitStrategy(Wait.forLogMessage(`waiting for ${KAFKA_LISTENERS_FILE}`))
    .withStartupTimeout(STARTUP_TIMEOUT_MS)
    .start();
  try {
    const advertised = [
      `HOST://${container.getHost()}:${container.getMappedPort(KAFKA_HOST_PORT)}`,
      `NETWORK://${alias.kafka}:${KAFKA_NETWORK_PORT}`,
    ].join(',');
    await container.copyContentToContainer([
      { content: `${advertised}\n`, target: KAFKA_LISTENERS_FILE, mode: 0o644 },
    ]);
    const client = await getContainerRuntimeClient();
    await waitForContainer(
      client,
      client.container.getById(container.getId()),
      // "[KafkaRaftServer nodeId=1] Kafka Server started"; the log stream ends (and this
      // rejects at once) if the broker exits instead.
      Wait.forLogMessage(/Kafka Server started/).withStartupTimeout(STARTUP_TIMEOUT_MS),
      new BoundPorts(),
    );
    return container;
  } catch (error) {
    await container.stop().catch(() => undefined);
    throw error;
  }
}

/**
 * Kafka Connect (distributed, one worker) with Debezium, configured through the image's
 * variables like the native worker (infra/stack/connect.ts). Ready when its REST API lists the
 * Debezium PostgreSQL connector among its plugins.
 */
async function startConnect(
  network: StartedNetwork,
  image: string,
  heaps: ContainerHeaps,
): Promise<StartedTestContainer> {
  return new GenericContainer(image)
    .withNetwork(network)
    .withNetworkAliases(alias.connect)
    .withExposedPorts(CONNECT_PORT)
    .withEnvironment({
      BOOTSTRAP_SERVERS: `${alias.kafka}:${KAFKA_NETWORK_PORT}`,
      GROUP_ID: 'trackops-connect',
      CONFIG_STORAGE_TOPIC: 'trackops-connect-configs',
      OFFSET_STORAGE_TOPIC: 'trackops-connect-offsets',
      STATUS_STORAGE_TOPIC: 'trackops-connect-status',
      // Source offsets are flushed every minute by default; tests that restart connectors
      // want a short window of replays.
      OFFSET_FLUSH_INTERVAL_MS: '1000',
      SHUTDOWN_TIMEOUT: '5000',
      HEAP_OPTS: heaps.connect,
      // `CONNECT_*` variables become worker properties (CONNECT_A_B → a.b).
      CONNECT_CONFIG_STORAGE_REPLICATION_FACTOR: '1',
      CONNECT_OFFSET_STORAGE_REPLICATION_FACTOR: '1',
      CONNECT_STATUS_STORAGE_REPLICATION_FACTOR: '1',
      CONNECT_OFFSET_STORAGE_PARTITIONS: '5',
      CONNECT_STATUS_STORAGE_PARTITIONS: '1',
      CONNECT_SCHEDULED_REBALANCE_MAX_DELAY_MS: '0',
    })
    .withWaitStrategy(
      Wait.forHttp('/connector-plugins', CONNECT_PORT, { abortOnContainerExit: true })
        .forStatusCode(200)
        .forResponsePredicate((body) => body.includes(debeziumPostgresConnectorClass)),
    )
    .withStartupTimeout(STARTUP_TIMEOUT_MS)
    .start();
}

/** The error of a component that did not start, naming it and its image. */
function startError(component: Component, image: string, cause: unknown): Error {
  return new Error(`testcontainers: ${component} (${image}) did not start: ${message(cause)}`, {
    cause,
  });
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The components, in start order; they stop in the reverse one. */
type Component = keyof ContainerImages;
const startOrder: readonly Component[] = ['postgres', 'redis', 'kafka', 'connect'];

/** Stops what started, last first, then the network; throws naming each that failed to stop. */
async function stopAll(
  started: ReadonlyMap<Component, StartedTestContainer>,
  network: StartedNetwork,
): Promise<void> {
  const failures: string[] = [];
  for (const component of [...startOrder].reverse()) {
    const container = started.get(component);
    if (!container) continue;
    try {
      await container.stop();
    } catch (error) {
      failures.push(`${component}: ${message(error)}`);
    }
  }
  try {
    await network.stop();
  } catch (error) {
    failures.push(`network: ${message(error)}`);
  }
  if (failures.length > 0) {
    throw new Error(`testcontainers: could not stop ${failures.join('; ')}`);
  }
}

/** One error for the components that failed to start side by side. */
function startFailure(failures: readonly unknown[]): unknown {
  return failures.length === 1
    ? failures[0]
    : new AggregateError(failures, failures.map(message).join('\n'));
}

/**
 * Starts the containers on a new Docker network and returns their endpoints (see
 * `startContainers()`, the public entry, for the contract).
 */
export async function launchContainers(
  images: ContainerImages,
  heaps: ContainerHeaps,
): Promise<StartedContainers> {
  let network: StartedNetwork;
  try {
    network = await new Network().start();
  } catch (error) {
    throw new TestkitError({
      code: 'TESTKIT_NO_CONTAINER_RUNTIME',
      message:
        `startContainers() needs a Docker engine (or another container runtime Testcontainers ` +
        `supports) and found none: ${message(error)}. Without one, attach to servers you run: ` +
        `set DATABASE_URL, KAFKA_BROKERS, REDIS_URL and CONNECT_URL (TRACKOPS_STACK=attach).`,
      cause: error,
    });
  }
  const started = new Map<Component, StartedTestContainer>();

  const launch = async (
    component: Component,
    start: (
      network: StartedNetwork,
      image: string,
      heaps: ContainerHeaps,
    ) => Promise<StartedTestContainer>,
  ): Promise<StartedTestContainer> => {
    const image = images[component];
    try {
      const container = await start(network, image, heaps);
      started.set(component, container);
      return container;
    } catch (error) {
      throw startError(component, image, error);
    }
  };

  try {
    const [postgres, redis, kafka] = await Promise.allSettled([
      launch('postgres', startPostgres),
      launch('redis', startRedis),
      launch('kafka', startKafka),
    ]);
    if (
      postgres.status === 'rejected' ||
      redis.status === 'rejected' ||
      kafka.status === 'rejected'
    ) {
      throw startFailure(
        [postgres, redis, kafka].flatMap((result) =>
          result.status === 'rejected' ? [result.reason as unknown] : [],
        ),
      );
    }
    const connect = await launch('connect', startConnect);

    const pg = postgres.value;
    const credentials = `${encodeURIComponent(POSTGRES_USER)}:${encodeURIComponent(POSTGRES_PASSWORD)}`;
    const endpoints: StackEndpoints = {
      DATABASE_URL: `postgres://${credentials}@${pg.getHost()}:${pg.getMappedPort(POSTGRES_PORT)}/${POSTGRES_DB}`,
      KAFKA_BROKERS: `${kafka.value.getHost()}:${kafka.value.getMappedPort(KAFKA_HOST_PORT)}`,
      REDIS_URL: `redis://${redis.value.getHost()}:${redis.value.getMappedPort(REDIS_PORT)}`,
      CONNECT_URL: `http://${connect.getHost()}:${connect.getMappedPort(CONNECT_PORT)}`,
      CONNECT_DATABASE_URL: `postgres://${credentials}@${alias.postgres}:${POSTGRES_PORT}/${POSTGRES_DB}`,
    };

    let stopping: Promise<void> | undefined;
    return {
      endpoints,
      stop: () => (stopping ??= stopAll(started, network)),
    };
  } catch (error) {
    await stopAll(started, network).catch(() => undefined);
    throw error;
  }
}

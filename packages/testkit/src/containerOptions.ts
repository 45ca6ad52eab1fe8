import { parseOptions } from '@trackops/core';
import { z } from 'zod';
import type { StackEndpoints } from './endpoints.js';

/** The stack started by `startContainers()`. */
export interface StartedContainers {
  /** Where the servers are, as the tests reach them from the Docker host. */
  readonly endpoints: StackEndpoints;
  /**
   * Stops Connect, Kafka, Redis and PostgreSQL, in that order (the reverse of their start),
   * then removes the network. Every container is stopped even if one fails to; the error then
   * names each that failed. Calling it again does nothing.
   */
  stop(): Promise<void>;
}

/** The container images `startContainers()` runs. */
export interface ContainerImages {
  /** PostgreSQL 15 or later (`wal_level=logical` is set on its command line). */
  postgres: string;
  /** Redis 7. */
  redis: string;
  /** The official `apache/kafka` image (its `/etc/kafka/docker/run` start script), KRaft. */
  kafka: string;
  /** Kafka Connect with the Debezium connectors in its plugin path (`debezium/connect`). */
  connect: string;
}

/** JVM heap options (`-Xms… -Xmx…`) of the Kafka and Connect containers. */
export interface ContainerHeaps {
  /** Kafka's `KAFKA_HEAP_OPTS`. */
  kafka: string;
  /** Connect's `HEAP_OPTS`. */
  connect: string;
}

/**
 * Options of `startContainers()`. Every field may also be set by an environment variable, which
 * applies when the option is not given; the defaults match the versions TrackOps is tested with.
 */
export const startContainersOptionsSchema = z.object({
  /** The images; each field falls back to its environment variable, then to its default. */
  images: z
    .object({
      /**
       * `TRACKOPS_POSTGRES_IMAGE`.
       * @defaultValue `'postgres:15'`
       */
      postgres: z.string().min(1).optional(),
      /**
       * `TRACKOPS_REDIS_IMAGE`.
       * @defaultValue `'redis:7'`
       */
      redis: z.string().min(1).optional(),
      /**
       * `TRACKOPS_KAFKA_IMAGE`.
       * @defaultValue `'apache/kafka:3.9.1'`
       */
      kafka: z.string().min(1).optional(),
      /**
       * `TRACKOPS_CONNECT_IMAGE`. Debezium 3.x images are published on Red Hat's Quay registry,
       * not on the default registry this short name resolves to: where it does not resolve,
       * give the image's fully qualified name there (`<quay host>/debezium/connect:3.2.7.Final`).
       * @defaultValue `'debezium/connect:3.2.7.Final'`
       */
      connect: z.string().min(1).optional(),
    })
    .default({}),
  /** JVM heaps, small by default: tests usually share a small machine with the servers. */
  heaps: z
    .object({
      /**
       * `TRACKOPS_KAFKA_HEAP`.
       * @defaultValue `'-Xms128m -Xmx512m'`
       */
      kafka: z.string().min(1).optional(),
      /**
       * `TRACKOPS_CONNECT_HEAP`.
       * @defaultValue `'-Xms128m -Xmx768m'`
       */
      connect: z.string().min(1).optional(),
    })
    .default({}),
});

/** Options of `startContainers()`, as given. */
export type StartContainersOptions = z.input<typeof startContainersOptionsSchema>;

/** The images and heaps a start uses, options first, then environment, then defaults. */
export function resolveContainerOptions(
  options: StartContainersOptions,
  env: NodeJS.ProcessEnv,
): { images: ContainerImages; heaps: ContainerHeaps } {
  const { images, heaps } = parseOptions(startContainersOptionsSchema, options, 'startContainers');
  // `||`, not `??`: an empty variable counts as unset.
  return {
    images: {
      postgres: images.postgres ?? (env['TRACKOPS_POSTGRES_IMAGE'] || 'postgres:15'),
      redis: images.redis ?? (env['TRACKOPS_REDIS_IMAGE'] || 'redis:7'),
      kafka: images.kafka ?? (env['TRACKOPS_KAFKA_IMAGE'] || 'apache/kafka:3.9.1'),
      connect: images.connect ?? (env['TRACKOPS_CONNECT_IMAGE'] || 'debezium/connect:3.2.7.Final'),
    },
    heaps: {
      kafka: heaps.kafka ?? (env['TRACKOPS_KAFKA_HEAP'] || '-Xms128m -Xmx512m'),
      connect: heaps.connect ?? (env['TRACKOPS_CONNECT_HEAP'] || '-Xms128m -Xmx768m'),
    },
  };
}

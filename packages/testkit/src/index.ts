/**
 * Contract tests for services built on TrackOps, against real servers.
 *
 * - Servers: {@link attachStack} / {@link attachStackFromEnv} to attach to servers you run,
 *   {@link startContainers} to start them with Testcontainers, {@link verifyStack} to check them;
 *   the vitest global setup `@trackops/testkit/globalSetup` does one or the other per run, and
 *   {@link stackEndpoints} reads the result in a test file.
 * - Isolation: {@link createTestDatabase} (a database per test file), {@link uniqueName} (topics,
 *   groups, connectors, key prefixes), {@link testRedis}.
 * - Kafka and Connect: {@link testKafka}, {@link createTopics}, {@link collectRecords},
 *   {@link debeziumTestConfig}, {@link putConnector}, {@link waitForSlot},
 *   {@link deleteConnector}.
 * - Assertions: {@link expectRecord}, {@link expectChangeEvent}, {@link expectOutboxContains}.
 *
 * Everything but {@link stackEndpoints} is also in `@trackops/testkit/helpers`, which does not
 * import vitest.
 *
 * @packageDocumentation
 */
export * from './helpers.js';
export { stackEndpoints } from './stackEndpoints.js';

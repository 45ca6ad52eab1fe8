/**
 * The test kit without vitest: everything of `@trackops/testkit` except what reads the vitest run
 * (`stackEndpoints`), for scripts, benchmarks and other test runners.
 *
 * @packageDocumentation
 */
export { VERSION } from './version.js';
export { TestkitError, type TestkitErrorCode } from './errors.js';
export {
  attachStack,
  attachStackFromEnv,
  stackEndpointsSchema,
  type StackEndpoints,
  type StackEndpointsInput,
} from './endpoints.js';
export { verifyStack, verifyStackOptionsSchema, type VerifyStackOptions } from './verify.js';
export { startContainers } from './startContainers.js';
export {
  startContainersOptionsSchema,
  type StartContainersOptions,
  type StartedContainers,
  type ContainerImages,
  type ContainerHeaps,
} from './containerOptions.js';
export { uniqueName } from './ids.js';
export { createTestDatabase, withDatabase, type TestDatabase } from './database.js';
export {
  testKafka,
  createTopics,
  collectRecords,
  headersAsText,
  type CollectOptions,
  type ReceivedRecord,
} from './kafka.js';
export { testRedis, type TestRedis } from './redis.js';
export {
  putConnector,
  waitForSlot,
  deleteConnector,
  debeziumTestConfig,
  type ConnectorConfig,
  type DebeziumTestConnectorOptions,
} from './connect.js';
export {
  expectRecord,
  type ExpectRecordOptions,
  type ExpectedRecord,
} from './assertions/expectRecord.js';
export {
  expectChangeEvent,
  type ExpectChangeEventOptions,
  type ChangeOp,
} from './assertions/expectChangeEvent.js';
export {
  expectOutboxContains,
  type ExpectOutboxContainsOptions,
  type OutboxMatch,
  type OutboxRow,
  type OutboxPayload,
} from './assertions/expectOutboxContains.js';
export type { AnySchema, SchemaOutput, SchemaResult, SchemaIssue } from './assertions/schema.js';
export type { Where, DeepPartial } from './assertions/match.js';

/**
 * The test kit's helpers for code that runs outside vitest (scripts such as the Debezium
 * fixture capture in packages/cdc): everything of `./index.ts` except what reads the vitest
 * global setup's context (`stackEndpoints`), since importing vitest outside a test run fails.
 *
 * The stack's own `check`/`up`/`endpoints` are re-exported too, because a package that uses
 * the kit (and not `@trackops/stack` directly) cannot resolve `@trackops/stack` itself.
 */
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
export { testRedis } from './redis.js';
export {
  putConnector,
  waitForSlot,
  deleteConnector,
  debeziumTestConfig,
  type ConnectorConfig,
  type DebeziumTestConnectorOptions,
} from './connect.js';
export { check, up, endpoints, type StackEndpoints } from '@trackops/stack';

/**
 * @trackops/testkit — the harness of TrackOps' own integration tests: the stack's endpoints
 * (brought up by the global setup), isolation per test file (a database, topic, group and
 * key prefix of its own) and helpers to wait for Kafka records with a deadline.
 */
export { stackEndpoints } from './endpoints.js';
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
  deleteConnector,
  debeziumTestConfig,
  type ConnectorConfig,
  type DebeziumTestConnectorOptions,
} from './connect.js';
export {
  cdcSmoke,
  kafkaSmoke,
  redisSmoke,
  type CdcSmokeResult,
  type KafkaSmokeResult,
  type RedisSmokeResult,
} from './smoke.js';
export { outage, type StoppableServer } from './outage.js';

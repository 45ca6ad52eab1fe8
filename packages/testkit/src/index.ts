/**
 * @trackops/testkit — the harness of TrackOps' own integration tests: the stack's endpoints
 * (brought up by the global setup), isolation per test file (a database, topic, group and
 * key prefix of its own), helpers to wait for Kafka records with a deadline, and outages of
 * the stack's servers for the disruptive tests.
 *
 * Everything that works outside vitest lives in `./helpers.ts` (importable by scripts as
 * `@trackops/testkit/helpers`); this entry adds what needs the vitest run.
 */
export * from './helpers.js';
export { stackEndpoints } from './endpoints.js';
export { outage, type StoppableServer } from './outage.js';
export {
  cdcSmoke,
  kafkaSmoke,
  redisSmoke,
  type CdcSmokeResult,
  type KafkaSmokeResult,
  type RedisSmokeResult,
} from './smoke.js';

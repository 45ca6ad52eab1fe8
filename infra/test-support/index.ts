/**
 * What the repository's own tests need from the native stack besides the test kit: outages of
 * its servers for the disruptive tests and the stack's smoke path. Not part of any published
 * package: `@trackops/testkit` must not depend on this private one.
 */
export { outage, type StoppableServer } from './outage.js';
export {
  cdcSmoke,
  kafkaSmoke,
  redisSmoke,
  type CdcSmokeResult,
  type KafkaSmokeResult,
  type RedisSmokeResult,
} from './smoke.js';

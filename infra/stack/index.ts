/**
 * The TrackOps test stack as a library, for the test harness and the demo.
 * See infra/README.md.
 */
export {
  up,
  check,
  down,
  status,
  endpoints,
  components,
  reset,
  type StackEndpoints,
} from './stack.js';
export { StackComponentError, type ComponentStatus } from './component.js';
export { postgresConnectorClass } from './connect.js';
export { heaps } from './config.js';
export { ensureChromium } from './browser.js';

/**
 * `pnpm order-service`: the order-service as a process (port 8081, database trackops_orders),
 * configured by the environment (see shared/config.ts and payment.ts), stopped gracefully on
 * SIGTERM or SIGINT.
 */
import { loadConfig } from '../shared/config.js';
import { createLogger, stopOnSignals } from '../shared/runtime.js';
import { startOrderService } from './service.js';

const config = loadConfig('order-service');
const logger = createLogger(config);
try {
  const service = await startOrderService(config, { logger });
  logger.info({ url: service.url }, 'listening');
  stopOnSignals(logger, () => service.stop());
} catch (error) {
  logger.error({ err: error }, 'order-service failed to start');
  process.exitCode = 1;
}

/** `pnpm inventory-service`: the inventory-service as a process. */
import { loadConfig } from '../shared/config.js';
import { createLogger, stopOnSignals } from '../shared/runtime.js';
import { startInventoryService } from './service.js';

const config = loadConfig('inventory-service');
const logger = createLogger(config);
try {
  const service = await startInventoryService(config, { logger });
  logger.info({ url: service.url }, 'listening');
  stopOnSignals(logger, () => service.stop());
} catch (error) {
  logger.error({ err: error }, 'inventory-service failed to start');
  process.exitCode = 1;
}

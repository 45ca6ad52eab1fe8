/** `pnpm event-relay-service`: the event-relay-service as a process. */
import { consoleServicesFromEnv } from '../console/server.js';
import { loadConfig } from '../shared/config.js';
import { createLogger, stopOnSignals } from '../shared/runtime.js';
import { startEventRelayService } from './service.js';
import { relaySettingsFromEnv } from './sources.js';

const config = loadConfig('event-relay-service');
const logger = createLogger(config);
try {
  const service = await startEventRelayService(config, {
    logger,
    consoleServices: consoleServicesFromEnv(),
    ...relaySettingsFromEnv(),
  });
  logger.info({ url: service.url }, 'listening');
  stopOnSignals(logger, () => service.stop());
} catch (error) {
  logger.error({ err: error }, 'event-relay-service failed to start');
  process.exitCode = 1;
}

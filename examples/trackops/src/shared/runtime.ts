import { Kafka, logLevel as kafkaLogLevel } from 'kafkajs';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import { databaseUrlFor, type ServiceConfig } from './config.js';
import { ensureDatabase } from './database.js';

/** JSON logs (pino) with the service's name on every line. */
export function createLogger(config: ServiceConfig): Logger {
  return pino({ level: config.logLevel, base: { service: config.service } });
}

/** The kafkajs client, its own logs routed to the service logger at warn and above. */
export function createKafka(config: ServiceConfig, logger: Logger): Kafka {
  // kafkajs 2 warns once per producer that its default partitioner changed in 2.0; the services
  // use that default (murmur2, as Java clients), so the warning is noise.
  process.env['KAFKAJS_NO_PARTITIONER_WARNING'] ??= '1';
  return new Kafka({
    clientId: config.service,
    brokers: config.kafkaBrokers,
    logLevel: kafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ namespace, log, level }) => {
        const entry = { namespace, ...log };
        if (level <= kafkaLogLevel.ERROR) logger.error(entry, log.message);
        else logger.warn(entry, log.message);
      },
  });
}

/** Creates the service's database if needed and opens a pool on it. */
export async function openDatabase(config: ServiceConfig, database: string): Promise<pg.Pool> {
  await ensureDatabase(config.databaseUrl, database);
  const pool = new pg.Pool({
    connectionString: databaseUrlFor(config.databaseUrl, database),
    max: 10,
  });
  return pool;
}

/** Something with a graceful stop. */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Stops the given components in order on SIGTERM or SIGINT (finishing in-flight work, committing
 * offsets), then exits; a second signal exits at once.
 */
export function stopOnSignals(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

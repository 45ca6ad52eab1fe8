/**
 * The whole reference system on the real stack: the stack up, then the three services as child
 * processes (event-relay-service last: it relays the other two's outboxes and registers the
 * connectors on their tables), each healthy before it returns.
 */
import { up, type StackEndpoints } from '@trackops/stack';
import { issueToken } from '../shared/auth.js';
import { developmentJwtSecret, type ServiceName } from '../shared/config.js';
import { ServiceClient, waitFor } from './client.js';
import { startService, type ServiceProcess } from './processes.js';
import type { System } from './scenario.js';

/** The running system. */
export interface RunningSystem extends System {
  stack: StackEndpoints;
  processes: Record<ServiceName, ServiceProcess>;
  /** Restarts one service (after a crash, say) and points the client at it again. */
  restart(service: ServiceName): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

/** The services' ports: the original system's, unless `<SERVICE>_PORT` says otherwise. */
function portsFromEnv(): Record<ServiceName, string> {
  return {
    'order-service': process.env['ORDER_SERVICE_PORT'] ?? '8081',
    'inventory-service': process.env['INVENTORY_SERVICE_PORT'] ?? '8082',
    'event-relay-service': process.env['EVENT_RELAY_SERVICE_PORT'] ?? '8084',
  };
}

/**
 * Brings the stack up and starts the services. `env` is added to every service's
 * environment (PAYMENT_FAILURE_RATE, LOG_LEVEL …).
 */
export async function startSystem(
  env: Record<string, string> = {},
  log: (line: string) => void = () => undefined,
): Promise<RunningSystem> {
  log('bringing the stack up (PostgreSQL, Redis, Kafka, Kafka Connect with Debezium)');
  const stack = await up();
  // Read when the system starts, not when this module loads: a test sets them in its setup.
  const ports = portsFromEnv();
  const secret = process.env['JWT_SECRET'] ?? developmentJwtSecret;
  const common = {
    DATABASE_URL: stack.DATABASE_URL,
    CONNECT_DATABASE_URL: stack.CONNECT_DATABASE_URL,
    KAFKA_BROKERS: stack.KAFKA_BROKERS,
    REDIS_URL: stack.REDIS_URL,
    CONNECT_URL: stack.CONNECT_URL,
    JWT_SECRET: secret,
    LOG_LEVEL: 'info',
    ...env,
  };
  const processes = {} as Record<ServiceName, ServiceProcess>;
  const healthy = async (service: ServiceName): Promise<void> => {
    const client = new ServiceClient(processes[service].url);
    await waitFor(
      async () => (await client.call('GET', '/actuator/health')).status,
      (status) => status === 200,
      120_000,
      `${service} to report healthy`,
    );
  };
  const start = async (service: ServiceName): Promise<ServiceProcess> => {
    log(`starting ${service}`);
    const started = await startService(service, {
      ...common,
      PORT: ports[service],
      // The console (served by the event-relay-service) reaches the other two through it.
      ORDER_SERVICE_URL: `http://127.0.0.1:${ports['order-service']}/`,
      INVENTORY_SERVICE_URL: `http://127.0.0.1:${ports['inventory-service']}/`,
    });
    processes[service] = started;
    return started;
  };
  try {
    // Listening first, healthy after: the event-relay-service registers the connectors whose
    // state the other two report, and it relays their outboxes once their tables exist.
    await Promise.all([start('order-service'), start('inventory-service')]);
    await start('event-relay-service');
    await Promise.all(Object.keys(processes).map((service) => healthy(service as ServiceName)));
  } catch (error) {
    await Promise.all(Object.values(processes).map((child) => child.stop()));
    throw error;
  }
  const system: RunningSystem = {
    stack,
    processes,
    order: new ServiceClient(processes['order-service'].url),
    inventory: new ServiceClient(processes['inventory-service'].url),
    relay: new ServiceClient(processes['event-relay-service'].url),
    adminToken: await issueToken(secret, 'admin', 'demo-admin'),
    customerToken: await issueToken(secret, 'customer', 'demo-customer'),
    async restart(service) {
      await processes[service].stop();
      const started = await start(service);
      await healthy(service);
      const client = new ServiceClient(started.url);
      if (service === 'order-service') system.order = client;
      if (service === 'inventory-service') system.inventory = client;
      if (service === 'event-relay-service') system.relay = client;
      return started;
    },
    async stop() {
      // The relay last: it publishes what the others wrote while stopping.
      await Promise.all([processes['order-service'].stop(), processes['inventory-service'].stop()]);
      await processes['event-relay-service'].stop();
    },
  };
  return system;
}

/**
 * Prometheus gauges of the Debezium side, read at each scrape: whether each connector (and every
 * task of it) runs, and the WAL its replication slot holds back. The Grafana dashboard's CDC row
 * plots them; the console reads the same facts from `GET /api/cdc/connectors`.
 */
import { slotLag, type ConnectClient } from '@trackops/cdc';
import type { Queryable } from '@trackops/core';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { connectorState } from '../shared/checks.js';
import type { ConnectorSpec } from './connectors.js';

export function cdcMetrics(options: {
  registry: Registry;
  connect: ConnectClient;
  db: Queryable;
  connectors: readonly ConnectorSpec[];
  logger: Logger;
}): void {
  const { connect, db, connectors, logger } = options;
  const databases = new Set(connectors.map((spec) => spec.database));
  new Gauge({
    name: 'trackops_cdc_connector_running',
    help: '1 while the Debezium connector and all its tasks are RUNNING, else 0',
    labelNames: ['connector'],
    registers: [options.registry],
    async collect() {
      const states = await Promise.all(
        connectors.map((spec) =>
          connectorState(connect, spec.name).catch(() => ({ state: 'UNREACHABLE', tasks: [] })),
        ),
      );
      states.forEach(({ state, tasks }, index) => {
        const running = state === 'RUNNING' && tasks.every((task) => task === 'RUNNING');
        this.set({ connector: connectors[index]!.name }, running ? 1 : 0);
      });
    },
  });
  new Gauge({
    name: 'trackops_cdc_slot_lag_bytes',
    help: 'WAL a connector’s replication slot holds back: kind="retained" (disk kept) or "unconfirmed" (not yet acknowledged)',
    labelNames: ['slot', 'kind'],
    registers: [options.registry],
    async collect() {
      try {
        for (const slot of await slotLag(db)) {
          if (slot.database === null || !databases.has(slot.database)) continue;
          if (slot.retainedWalBytes !== null) {
            this.set({ slot: slot.slotName, kind: 'retained' }, Number(slot.retainedWalBytes));
          }
          if (slot.confirmedLagBytes !== null) {
            this.set({ slot: slot.slotName, kind: 'unconfirmed' }, Number(slot.confirmedLagBytes));
          }
        }
      } catch (error) {
        // A scrape while PostgreSQL is away keeps the last values rather than failing whole.
        logger.warn({ err: error }, 'replication slot lag unavailable');
      }
    },
  });
}

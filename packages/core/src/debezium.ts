/**
 * The connection part of every Debezium PostgreSQL connector TrackOps configures (the outbox's
 * Event Router connector, CDC connectors, tests): pgoutput, one task, and the database
 * settings read from a `postgres://` URL as Connect will reach it.
 */
export function debeziumPostgresConnection(databaseUrl: string): Record<string, string> {
  const url = new URL(databaseUrl);
  return {
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    // The PostgreSQL connector reads one slot with one task, whatever this says.
    'tasks.max': '1',
    'plugin.name': 'pgoutput',
    'database.hostname': url.hostname,
    'database.port': url.port || '5432',
    'database.user': decodeURIComponent(url.username),
    'database.password': decodeURIComponent(url.password),
    'database.dbname': decodeURIComponent(url.pathname.slice(1)),
  };
}

/** A replication-slot name derived from a connector name: lower-case, `[a-z0-9_]`, ≤ 63. */
export function slotNameFor(connectorName: string): string {
  return connectorName
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 63);
}

import type { Message } from 'kafkajs';
import type { OutboxRow } from './claim.js';

/**
 * The Kafka headers of a row, named as Debezium's Outbox Event Router places them: `id` and
 * `type` always; `correlation-id`, `causation-id` and `traceparent` when set; then the row's
 * extra `headers` (which the router does not send: see the package README). (The router
 * sends those three with a null value when the column is NULL; kafkajs 2.2.4 cannot write a
 * null header value — its size calculation calls Buffer.byteLength on it — so the relay
 * leaves them out. Read an absent header and a null one alike.)
 */
export function headersOf(row: OutboxRow): Record<string, string> {
  const headers: Record<string, string> = { id: row.id, type: row.type };
  if (row.correlation_id !== null) headers['correlation-id'] = row.correlation_id;
  if (row.causation_id !== null) headers['causation-id'] = row.causation_id;
  if (row.traceparent !== null) headers['traceparent'] = row.traceparent;
  if (row.headers !== null) Object.assign(headers, row.headers);
  return headers;
}

/**
 * The Kafka record of a row: key = aggregate id, value = the payload exactly as PostgreSQL
 * prints the jsonb — byte for byte what Debezium's Outbox Event Router emits for the row with
 * a StringConverter — and numbers exactly as stored (no float rounding).
 */
export function messageOf(row: OutboxRow): Message {
  return {
    key: row.aggregateid,
    value: row.payload,
    headers: headersOf(row),
  };
}

/** Roughly the bytes a message adds to a produce request (payload, key, headers). */
export function messageSize(message: Message): number {
  let size = 64;
  size +=
    typeof message.key === 'string' ? Buffer.byteLength(message.key) : (message.key?.length ?? 0);
  size +=
    typeof message.value === 'string'
      ? Buffer.byteLength(message.value)
      : (message.value?.length ?? 0);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    size += Buffer.byteLength(name) + (typeof value === 'string' ? Buffer.byteLength(value) : 16);
  }
  return size;
}

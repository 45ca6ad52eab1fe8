import type { Message } from 'kafkajs';
import type { OutboxRow } from './claim.js';

/**
 * jsonb as PostgreSQL prints it (`{"a": 1, "b": [1, 2]}`) without the blanks it inserts
 * after `:` and `,`. Working on the text, not a parsed value, keeps numbers exactly as
 * stored (no float rounding of 1.50 or of integers beyond 2^53).
 */
export function compactJson(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (inString) {
      out += char;
      if (char === '\\') out += text[++i] ?? '';
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
      out += char;
    } else if (char !== ' ' && char !== '\n' && char !== '\t' && char !== '\r') {
      out += char;
    }
  }
  return out;
}

/** The Kafka headers of a row: the ones Debezium's router would place, by the same names. */
export function headersOf(row: OutboxRow): Record<string, string> {
  const headers: Record<string, string> = { id: row.id, type: row.type };
  if (row.correlation_id !== null) headers['correlation-id'] = row.correlation_id;
  if (row.causation_id !== null) headers['causation-id'] = row.causation_id;
  if (row.traceparent !== null) headers['traceparent'] = row.traceparent;
  return headers;
}

/** The Kafka record of a row: key = aggregate id, value = payload JSON, headers. */
export function messageOf(row: OutboxRow): Message {
  return {
    key: row.aggregateid,
    value: row.payload === null ? null : compactJson(row.payload),
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

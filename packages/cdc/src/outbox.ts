import { root } from './errors.js';
import { unwrapSchema } from './envelope.js';
import type { RecordHeaders } from './events.js';
import { parseJson, type JsonValue } from './json.js';
import { logicalNames, toJson } from './logicalTypes.js';
import { headersOf, textOf, type KafkaRecordLike } from './record.js';

/** A record routed by Debezium's Outbox Event Router (`io.debezium.transforms.outbox.EventRouter`). */
export interface OutboxRouterEvent {
  /** An outbox event. */
  readonly kind: 'outbox';
  /** The topic (`outbox.event.<aggregatetype>` by default), when known. */
  readonly topic: string | undefined;
  /** The event id: the router puts the `id` column in the `id` header. */
  readonly id: string | undefined;
  /** The event type, when `table.fields.additional.placement` puts it in a `type` header. */
  readonly type: string | undefined;
  /** The aggregate id: the record key. */
  readonly aggregateId: JsonValue;
  /**
   * The payload, parsed. By default the router writes the jsonb text as a JSON string (schema
   * `io.debezium.data.Json`), which is parsed too when the schema says so; with
   * `table.expand.json.payload=true` it is the JSON itself (fields that were JSON null dropped).
   * A NULL payload is null (the record is not a Kafka tombstone).
   */
  readonly payload: JsonValue;
  /** The record's headers as text. */
  readonly headers: RecordHeaders;
}

/**
 * Decodes a record of Debezium's Outbox Event Router, with `schemas.enable` true or false.
 *
 * @param record - The Kafka record.
 * @returns Event id, type, aggregate id and payload.
 * @throws {@link DebeziumDecodeError} when the key or value is not JSON.
 *
 * @example
 * ```ts
 * const event = decodeOutboxRecord({ topic, ...message });
 * if (await inbox.seen(event.id)) return;
 * ```
 */
export function decodeOutboxRecord(record: KafkaRecordLike): OutboxRouterEvent {
  const headers = headersOf(record.headers);
  const keyText = textOf(record.key, root('key'));
  const valueText = textOf(record.value, root('value'));
  const key = keyText === null ? null : unwrapSchema(parseJson(keyText, root('key')), root('key'));
  const value =
    valueText === null ? null : unwrapSchema(parseJson(valueText, root('value')), root('value'));
  const payload =
    value === null || value.payload === null
      ? null
      : value.schema?.name === logicalNames.json
        ? toJson(value.payload, value.path)
        : value.payload;
  return {
    kind: 'outbox',
    topic: record.topic,
    id: headers['id'],
    type: headers['type'],
    aggregateId: key?.payload ?? null,
    payload,
    headers,
  };
}

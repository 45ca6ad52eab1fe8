import { describeIssues } from '@trackops/core';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { OutboxError } from './errors.js';

// W3C Trace Context: version-traceid-parentid-flags, lower-case hex.
const traceparentPattern = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

const jsonValue = z.custom<unknown>(
  (value) => {
    if (value === undefined) return false;
    try {
      return JSON.stringify(value) !== undefined;
    } catch {
      return false;
    }
  },
  { message: 'must be JSON-serialisable (not undefined, a function, a BigInt or a cycle)' },
);

/** Headers every row gets from its own columns; `headers` may not repeat them. */
const reservedHeaders = new Set(['id', 'type', 'correlation-id', 'causation-id', 'traceparent']);

/** The fields of one outbox event, as `enqueue` validates them. */
export const outboxEventSchema = z.object({
  /** Event id (UUID); a UUIDv7 is generated when omitted. Becomes the `id` header. */
  id: z.uuid().optional(),
  /** The kind of aggregate, e.g. `order`: routes the event to its topic by default. */
  aggregateType: z.string().min(1).max(255),
  /** The aggregate's id: the Kafka record key, so one aggregate's events share a partition. */
  aggregateId: z.string().min(1).max(255),
  /** The event type, e.g. `ORDER_CREATED`: sent as the `type` header. */
  type: z.string().min(1).max(255),
  /** The event body, stored as jsonb and sent as the record value (JSON). */
  payload: jsonValue,
  /** Sent as the `correlation-id` header. */
  correlationId: z.string().min(1).max(255).optional(),
  /** Sent as the `causation-id` header. */
  causationId: z.string().min(1).max(255).optional(),
  /** W3C `traceparent`, sent as the header of that name. */
  traceparent: z
    .string()
    .regex(traceparentPattern, 'must be a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)')
    .optional(),
  /**
   * More headers, sent after the standard ones (saga ids, reply topics, tenant ids …). Names
   * the relay sets itself (`id`, `type`, `correlation-id`, `causation-id`, `traceparent`) are
   * refused: use the fields above.
   */
  headers: z
    .record(z.string().min(1).max(255), z.string().max(4096))
    .superRefine((headers, context) => {
      for (const name of Object.keys(headers)) {
        if (reservedHeaders.has(name)) {
          context.addIssue({
            code: 'custom',
            path: [name],
            message: 'is set by the relay; use the event field of that name',
          });
        }
      }
    })
    .optional(),
});

/** An event to write to the outbox. */
export interface OutboxEvent<TType extends string = string, TPayload = unknown> {
  id?: string | undefined;
  aggregateType: string;
  aggregateId: string;
  type: TType;
  payload: TPayload;
  correlationId?: string | undefined;
  causationId?: string | undefined;
  traceparent?: string | undefined;
  headers?: Readonly<Record<string, string>> | undefined;
}

/** A validated event with its id decided, as `enqueue` inserts it. */
export interface ValidatedEvent extends OutboxEvent {
  id: string;
}

/**
 * Validates events for `enqueue`; the first invalid one throws naming its index and field,
 * before anything is written.
 */
export function validateEvents(events: readonly OutboxEvent[]): ValidatedEvent[] {
  return events.map((event, index) => {
    const result = outboxEventSchema.safeParse(event);
    if (!result.success) {
      const where = events.length > 1 ? `event [${index}]` : 'event';
      throw new OutboxError({
        code: 'OUTBOX_INVALID_EVENT',
        message: `invalid outbox ${where}: ${describeIssues(result.error)}`,
      });
    }
    return { ...result.data, id: result.data.id ?? uuidv7() };
  });
}

/** What {@link EventDefinition.create} takes: the event minus what the definition fixes. */
export interface EventInput<TPayloadInput> {
  aggregateId: string;
  payload: TPayloadInput;
  id?: string;
  correlationId?: string;
  causationId?: string;
  traceparent?: string;
  headers?: Readonly<Record<string, string>>;
}

/**
 * An event type declared once with its payload schema, shared by the code that writes it
 * (`create`) and the consumers that read it (`parse`).
 */
export interface EventDefinition<TType extends string, TSchema extends z.ZodType> {
  readonly type: TType;
  readonly aggregateType: string;
  readonly payloadSchema: TSchema;
  /**
   * Builds an outbox event, validating the payload now.
   * @throws OutboxError `OUTBOX_INVALID_EVENT` naming the payload field.
   */
  create(input: EventInput<z.input<TSchema>>): OutboxEvent<TType, z.output<TSchema>>;
  /**
   * Validates a received payload (a parsed record value).
   * @throws OutboxError `OUTBOX_INVALID_EVENT` naming the field.
   */
  parse(payload: unknown): z.output<TSchema>;
}

/**
 * Declares an event type with its payload schema.
 *
 * @example
 * ```ts
 * const OrderCreated = defineEvent({
 *   type: 'ORDER_CREATED',
 *   aggregateType: 'order',
 *   payload: z.object({ orderId: z.string(), total: z.string() }),
 * });
 * await outbox.enqueue(tx, OrderCreated.create({ aggregateId: order.id, payload: { orderId: order.id, total: '9.90' } }));
 * // in a consumer:
 * const payload = OrderCreated.parse(JSON.parse(message.value.toString()));
 * ```
 */
export function defineEvent<TType extends string, TSchema extends z.ZodType>(definition: {
  type: TType;
  aggregateType: string;
  payload: TSchema;
}): EventDefinition<TType, TSchema> {
  const parse = (payload: unknown, where: string): z.output<TSchema> => {
    const result = definition.payload.safeParse(payload);
    if (result.success) return result.data;
    const issues = describeIssues(result.error)
      .replace(/(^|; )/g, `$1payload.`)
      .replace(/payload\.\(root\)/g, 'payload');
    throw new OutboxError({
      code: 'OUTBOX_INVALID_EVENT',
      message: `invalid ${definition.type} ${where}: ${issues}`,
    });
  };
  return {
    type: definition.type,
    aggregateType: definition.aggregateType,
    payloadSchema: definition.payload,
    create(input) {
      return {
        id: input.id,
        aggregateType: definition.aggregateType,
        aggregateId: input.aggregateId,
        type: definition.type,
        payload: parse(input.payload, 'event'),
        correlationId: input.correlationId,
        causationId: input.causationId,
        traceparent: input.traceparent,
        headers: input.headers,
      };
    },
    parse(payload) {
      return parse(payload, 'payload');
    },
  };
}

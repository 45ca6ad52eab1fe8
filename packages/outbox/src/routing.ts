import { z } from 'zod';

/**
 * How an outbox row finds its topic, in the terms of Debezium's Outbox Event Router
 * (`route.by.field`, `route.topic.replacement`) so one setting serves both relays.
 */
export const routeSchema = z.object({
  /**
   * The column whose value routes the event.
   * @defaultValue `'aggregatetype'`
   */
  by: z.union([z.literal('aggregatetype'), z.literal('type')]).default('aggregatetype'),
  /**
   * The topic name, with `${routedByValue}` standing for that column's value.
   * @defaultValue `'outbox.event.${routedByValue}'` (the router's default)
   */
  topic: z
    .string()
    .min(1)
    .default('outbox.event.${routedByValue}')
    .refine(
      (value) => value.includes('${routedByValue}') || /^[A-Za-z0-9._-]{1,249}$/.test(value),
      {
        message: 'must contain ${routedByValue} or be a fixed, valid Kafka topic name',
      },
    ),
});

/** Routing options; both fields default to the Outbox Event Router's defaults. */
export type RouteOptions = z.input<typeof routeSchema>;
export type Route = z.output<typeof routeSchema>;

const legalTopic = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * The topic for a row, or an error message when the routed value makes an illegal topic
 * name (a row-level failure: that row goes dead, others flow).
 */
export function topicFor(
  route: Route,
  row: { aggregatetype: string; type: string },
): { topic: string } | { error: string } {
  const value = route.by === 'type' ? row.type : row.aggregatetype;
  const topic = route.topic.split('${routedByValue}').join(value);
  if (!legalTopic.test(topic) || topic === '.' || topic === '..') {
    return {
      error: `routed topic ${JSON.stringify(topic)} is not a legal Kafka topic name (letters, digits, . _ -; at most 249)`,
    };
  }
  return { topic };
}

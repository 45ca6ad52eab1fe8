/** The event-relay-service's HTTP API (see examples/trackops/API.md). */
import type { ConnectClient } from '@trackops/cdc';
import { replayDeadLetters, TrackOpsError } from '@trackops/core';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kafka } from 'kafkajs';
import { z } from 'zod';
import { connectorState } from '../shared/checks.js';
import type { ServiceConfig } from '../shared/config.js';
import { errorBody, writeRoute, type HttpApp } from '../shared/http.js';
import type { DeadLetterWatch } from './deadLetters.js';
import {
  deadEvents,
  eventsOf,
  publishNow,
  replayDeadEvents,
  rowState,
  sourceNames,
  sourceStatus,
  unprocessed,
  type OutboxSource,
  type SourceName,
} from './sources.js';

const source = z.enum(sourceNames);

/** `?source` (all sources when absent) and `?limit` rows per source. */
const sourceQuery = z.object({
  source: source.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** An outbox row as the lists show it. */
const outboxRow = z.object({
  source,
  id: z.string(),
  type: z.string(),
  aggregateType: z.string(),
  aggregateId: z.string(),
  attempts: z.int(),
  lastError: z.string().nullable(),
});

/** `?aggregateId` and/or `?correlationId` (one is required), `?limit` rows. */
const journeyQuery = z
  .object({
    aggregateId: z.string().min(1).max(200).optional(),
    correlationId: z.string().min(1).max(128).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(200),
  })
  .refine((query) => query.aggregateId !== undefined || query.correlationId !== undefined, {
    message: 'aggregateId or correlationId is required',
    path: ['aggregateId'],
  });

/** An outbox row of a journey: where it stands on its way to Kafka. */
const journeyEvent = z.object({
  source,
  id: z.string(),
  type: z.string(),
  aggregateType: z.string(),
  aggregateId: z.string(),
  correlationId: z.string().nullable(),
  state: z.enum(['published', 'pending', 'dead']),
  createdAt: z.string(),
  publishedAt: z.string().nullable(),
  attempts: z.int(),
  lastError: z.string().nullable(),
});

const outboxStatus = z.object({
  backlog: z.int(),
  oldestUnpublishedAgeMs: z.number(),
  retrying: z.int(),
  dead: z.int(),
  published: z.int(),
});

const nullableText = z.string().nullable();

/** A dead-letter topic as `GET /api/events/dlq` shows it. */
const deadLetterTopic = z.object({
  topic: z.string(),
  total: z.int(),
  pending: z.int(),
  records: z.array(
    z.object({
      topic: z.string(),
      partition: z.int(),
      offset: z.string(),
      key: nullableText,
      originalTopic: nullableText,
      originalPartition: nullableText,
      originalOffset: nullableText,
      consumerGroup: nullableText,
      errorClass: nullableText,
      errorMessage: nullableText,
      attempts: nullableText,
      failedAt: nullableText,
      replayedFrom: nullableText,
    }),
  ),
});

const relayError = (code: 'EVENT_NOT_FOUND' | 'EVENT_INVALID_STATE', message: string) =>
  new TrackOpsError({ code, message });

export function eventRoutes(
  http: HttpApp,
  context: {
    config: ServiceConfig;
    kafka: Kafka;
    connect: ConnectClient;
    connectorNames: readonly string[];
    sources: ReadonlyMap<SourceName, OutboxSource>;
    deadLetters: DeadLetterWatch;
  },
): void {
  const { config, kafka, connect, sources } = context;
  const app = http.withTypeProvider<ZodTypeProvider>();
  const admin = writeRoute(config, ['admin']);
  const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody };
  const tags = ['events'];
  const security = [{ bearer: [] }];
  /** The sources a request names (all when it names none). */
  const selected = (name: SourceName | undefined): OutboxSource[] =>
    [...sources.values()].filter((entry) => name === undefined || entry.name === name);
  const one = (name: SourceName): OutboxSource => {
    const found = sources.get(name);
    if (!found) throw relayError('EVENT_NOT_FOUND', `source ${name} is not relayed`);
    return found;
  };

  app.get(
    '/api/events/unprocessed',
    {
      schema: {
        tags,
        summary: 'Outbox rows not yet published (dead rows: /api/events/dead), oldest first',
        querystring: sourceQuery,
        response: {
          200: z.object({
            items: z.array(outboxRow.extend({ createdAt: z.string() })),
          }),
          400: errorBody,
        },
      },
    },
    async (request) => {
      const { source: name, limit } = request.query;
      const lists = await Promise.all(selected(name).map((entry) => unprocessed(entry, limit)));
      return { items: lists.flat().slice(0, limit) };
    },
  );

  app.get(
    '/api/events',
    {
      schema: {
        tags,
        summary:
          'The outbox rows of one aggregate (an order id) or correlation id, from every source, oldest first: what its journey put on Kafka',
        querystring: journeyQuery,
        response: {
          200: z.object({ items: z.array(journeyEvent) }),
          400: errorBody,
        },
      },
    },
    async (request) => {
      const { limit, ...filter } = request.query;
      const lists = await Promise.all(
        [...sources.values()].map((entry) => eventsOf(entry, filter, limit)),
      );
      const items = lists.flat().sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      return { items: items.slice(0, limit) };
    },
  );

  app.post(
    '/api/events/process',
    {
      ...admin,
      schema: {
        tags,
        security,
        summary:
          'Publish one outbox row now: runs relay cycles until it is published (404 unknown, 409 dead)',
        body: z.object({ source, id: z.uuid() }).strict(),
        response: {
          200: z.object({
            published: z.boolean(),
            attempts: z.int().optional(),
            lastError: z.string().nullable().optional(),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const entry = one(request.body.source);
      const { id } = request.body;
      const before = await rowState(entry, id);
      switch (before.state) {
        case 'missing':
          throw relayError('EVENT_NOT_FOUND', `no outbox row ${id} in ${entry.name}`);
        case 'dead':
          throw relayError(
            'EVENT_INVALID_STATE',
            `outbox row ${id} is dead (${before.lastError ?? 'no error'}); replay it with POST /api/events/dead/replay`,
          );
        case 'published':
          return { published: true };
        case 'pending':
          break;
      }
      await publishNow(entry, {
        timeoutMs: 5_000,
        until: async () => (await rowState(entry, id)).state !== 'pending',
      });
      const after = await rowState(entry, id);
      if (after.state === 'published') return { published: true };
      // Still pending (waiting out a backoff, held behind a dead row of its aggregate) or dead now.
      return after.state === 'missing'
        ? { published: false }
        : { published: false, attempts: after.attempts, lastError: after.lastError };
    },
  );

  app.post(
    '/api/events/process-all',
    {
      ...admin,
      schema: {
        tags,
        security,
        summary:
          'Run relay cycles now until the backlog is published; counts what this call published',
        body: z.object({ source: source.optional() }).strict().default({}),
        response: { 200: z.object({ published: z.int() }), ...errors },
      },
    },
    async (request) => {
      let published = 0;
      for (const entry of selected(request.body.source)) {
        published += await publishNow(entry, {
          timeoutMs: 10_000,
          until: async () => (await sourceStatus(entry)).backlog === 0,
        });
      }
      return { published };
    },
  );

  app.get(
    '/api/events/stats',
    {
      schema: {
        tags,
        summary: 'Outbox status per source and the Debezium connectors’ states',
        response: {
          200: z.object({
            sources: z.record(z.string(), outboxStatus),
            connectors: z.record(z.string(), z.string()),
          }),
        },
      },
    },
    async () => {
      const statuses = await Promise.all(
        [...sources.values()].map(
          async (entry) => [entry.name, await sourceStatus(entry)] as const,
        ),
      );
      const states = await Promise.all(
        context.connectorNames.map(async (name) => {
          try {
            return [name, (await connectorState(connect, name)).state] as const;
          } catch {
            return [name, 'UNREACHABLE'] as const;
          }
        }),
      );
      return { sources: Object.fromEntries(statuses), connectors: Object.fromEntries(states) };
    },
  );

  app.get(
    '/api/events/dead',
    {
      schema: {
        tags,
        summary: 'Dead outbox rows (failed every attempt), oldest first',
        querystring: sourceQuery,
        response: {
          200: z.object({
            items: z.array(outboxRow.extend({ createdAt: z.date(), deadAt: z.date() })),
          }),
          400: errorBody,
        },
      },
    },
    async (request) => {
      const { source: name, limit } = request.query;
      const lists = await Promise.all(selected(name).map((entry) => deadEvents(entry, limit)));
      return { items: lists.flat() };
    },
  );

  app.post(
    '/api/events/dead/replay',
    {
      ...admin,
      schema: {
        tags,
        security,
        summary:
          'Make dead rows live again (all of the source, or `ids`); the relay publishes them',
        body: z.object({ source, ids: z.array(z.uuid()).min(1).max(1000).optional() }).strict(),
        response: { 200: z.object({ replayed: z.int() }), ...errors },
      },
    },
    async (request) => ({
      replayed: await replayDeadEvents(one(request.body.source), request.body.ids),
    }),
  );

  app.get(
    '/api/events/dlq',
    {
      schema: {
        tags,
        summary:
          'The dead-letter topics: size, records not yet replayed and the newest of them with their error context',
        response: { 200: z.object({ topics: z.array(deadLetterTopic) }) },
      },
    },
    async () => ({ topics: await context.deadLetters.topics() }),
  );

  app.post(
    '/api/events/dlq/replay',
    {
      ...admin,
      schema: {
        tags,
        security,
        summary: 'Republish the records of a dead-letter topic to their original topics',
        body: z
          .object({
            topic: z
              .string()
              .regex(/^[A-Za-z0-9._-]{1,245}\.dlq$/, 'must be a dead-letter topic (<topic>.dlq)'),
          })
          .strict(),
        response: { 200: z.object({ replayed: z.int(), skipped: z.int() }), ...errors },
      },
    },
    async (request) => {
      const { topic } = request.body;
      const admin = kafka.admin();
      await admin.connect();
      try {
        if (!(await admin.listTopics()).includes(topic)) {
          throw relayError('EVENT_NOT_FOUND', `no topic ${topic}`);
        }
      } finally {
        await admin.disconnect();
      }
      const result = await replayDeadLetters({ kafka, dlqTopic: topic, timeoutMs: 30_000 });
      return { replayed: result.replayed.length, skipped: result.skipped };
    },
  );
}

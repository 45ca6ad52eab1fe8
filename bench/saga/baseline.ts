/**
 * The ceiling: the order saga hand-written on pg and kafkajs, with the same database
 * transactions and Kafka round trips as the library, and nothing more.
 *
 * Per saga, as the library does it:
 *
 * - begin: one transaction — the order row, the saga row (`orders.saga_state`), a step-log row
 *   (`orders.saga_steps`) and the reserve command into the orchestrator's outbox;
 * - each participant, per command: one transaction — an inbox row (a duplicate is skipped),
 *   the business statements, and the reply into the participant's own outbox;
 * - the orchestrator, per reply: one transaction — an inbox row, the saga row locked
 *   (`for update`) and moved on (version bumped), a step-log row, and the next command into
 *   the outbox; the payment reply's transaction confirms the order and completes the saga
 *   (the load sees the completion after that commit);
 * - a relay per outbox (orders in the orchestrator's process, inventory and payment in the
 *   participants'): selects unpublished rows in `seq` order, sends them in one `sendBatch`
 *   (acks=all, an idempotent producer with one request in flight, as the library's relay),
 *   marks them published, and repeats while a full batch came back; a statement trigger's
 *   NOTIFY wakes it, polling covers a lost notification.
 *
 * Consumers have the shape of the library's inbox consumer: `eachBatch`, messages of a
 * partition in order, partitions processed concurrently, offsets resolved after commit.
 *
 * What it leaves out is what the library adds on top of those transactions: validation of
 * data, commands and replies; the typed saga DSL; step timeouts and their poller; retries of a
 * failing message and dead letters; compensation (this runs the happy path only, which is all
 * the benchmark drives) and with it the participant's savepoint that turns a refusal into a
 * failure reply; answering a repeated command with its earlier reply; the outbox's
 * per-aggregate lock (here a saga's messages are ordered by the saga itself: the next one is
 * written only after the previous one's reply); and everything that makes several relays of
 * one outbox safe (the library's relay runs each cycle in a transaction under an advisory
 * lock). This relay is correct for a single instance only: a crash between send and mark
 * republishes, which the inbox absorbs; it has no per-row failure handling, no batch size in
 * bytes, no retention cleanup and no LISTEN reconnect (polling carries on without it).
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import { withTransaction, type Queryable } from '@trackops/core';
import type pg from 'pg';
import { outboxTable, sagaTopics, sql, type ServiceSchema } from './workload.js';

export interface OrderInput {
  orderId: string;
  sku: string;
  quantity: number;
  amount: string;
}

/** What the orchestrator and the participants run on. */
export interface BaselineOptions {
  pool: pg.Pool;
  kafka: Kafka;
  prefix: string;
  partitionsConsumedConcurrently: number;
  /** Relay and consumer failures (the benchmark reports them). */
  onError?: (error: Error) => void;
}

/** Runs in the inbox transaction; returns what to run once it committed, if anything. */
export type InboxHandler = (
  client: Queryable,
  message: KafkaMessage,
  headers: Record<string, string>,
) => Promise<(() => Promise<unknown>) | undefined>;

export function headersOf(message: KafkaMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {}))
    if (value !== undefined) headers[name] = value.toString();
  return headers;
}

/** A reply the orchestrator can apply: its saga row (locked) is running and at the replied step. */
export interface ApplicableReply {
  sagaId: string;
  step: number;
  data: OrderInput;
  reply: Record<string, string>;
}

/**
 * Locks the saga row a reply is for and checks the reply is due (the saga is running and at
 * that step); `undefined` for a late or repeated reply. Shared by the baseline and bare
 * orchestrators, which differ only in what they write and send next.
 */
export async function applicableReply(
  client: Queryable,
  message: KafkaMessage,
  headers: Record<string, string>,
): Promise<ApplicableReply | undefined> {
  const sagaId = headers['saga-id']!;
  const { rows } = await client.query<{ step: number; status: string; data: OrderInput }>(
    'select step, status, data from orders.saga_state where id = $1 for update',
    [sagaId],
  );
  const saga = rows[0];
  const step = Number(headers['saga-step']);
  if (saga === undefined || saga.status !== 'RUNNING' || saga.step !== step) return undefined;
  const reply = JSON.parse(message.value!.toString()) as Record<string, string>;
  return { sagaId, step, data: saga.data, reply };
}

/**
 * A service's consumer — the orchestrator's of the replies, a participant's of its commands —
 * whose handler runs in a transaction with an inbox row of that service (a duplicate is
 * skipped); what the handler returns runs after the commit, and the offset is resolved after
 * that.
 */
export async function inboxConsumer(
  system: BaselineOptions,
  service: 'orchestrator' | 'inventory' | 'payment',
  handler: InboxHandler,
): Promise<Consumer> {
  const topics = sagaTopics(system.prefix);
  const inbox = `${service === 'orchestrator' ? 'orders' : service}.inbox`;
  const consumer = system.kafka.consumer({ groupId: `${system.prefix}-${service}` });
  await consumer.connect();
  await consumer.subscribe({
    topic: service === 'orchestrator' ? topics.replies : topics[service],
    fromBeginning: true,
  });
  const process = async (message: KafkaMessage): Promise<void> => {
    const headers = headersOf(message);
    const after = await withTransaction(system.pool, async (client) => {
      const fresh = await client.query(
        `insert into ${inbox} (message_id) values ($1) on conflict do nothing`,
        [headers['id']],
      );
      return fresh.rowCount === 1 ? handler(client, message, headers) : undefined;
    });
    await after?.();
  };
  await consumer.run({
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: system.partitionsConsumedConcurrently,
    eachBatch: async (payload: EachBatchPayload) => {
      for (const message of payload.batch.messages) {
        if (!payload.isRunning() || payload.isStale()) return;
        await process(message);
        payload.resolveOffset(message.offset);
        await payload.heartbeat();
      }
    },
  });
  return consumer;
}

/** Writes a message into `schema`'s outbox, in the caller's transaction. */
function enqueue(
  client: Queryable,
  schema: ServiceSchema,
  message: {
    topic: string;
    key: string;
    type: string;
    payload: unknown;
    headers: Record<string, string>;
  },
): Promise<unknown> {
  return client.query(
    `insert into ${outboxTable(schema).table} (id, topic, key, type, payload, headers) values ($1, $2, $3, $4, $5, $6)`,
    [
      randomUUID(),
      message.topic,
      message.key,
      message.type,
      JSON.stringify(message.payload),
      JSON.stringify(message.headers),
    ],
  );
}

interface OutboxRow {
  seq: string;
  id: string;
  topic: string;
  key: string;
  type: string;
  payload: string;
  headers: Record<string, string>;
}

/**
 * A single-instance relay of one outbox: select unpublished rows in `seq` order, send them in
 * one request, mark them published; again at once after a full batch, else on NOTIFY or after
 * `pollIntervalMs`.
 */
export class BaselineRelay {
  private producer: Producer | undefined;
  private listener: pg.PoolClient | undefined;
  private loop: Promise<void> | undefined;
  private running = false;
  private wake: (() => void) | undefined;
  private notifiedMeanwhile = false;
  private readonly table: string;
  private readonly channel: string;

  constructor(
    private readonly options: {
      pool: pg.Pool;
      kafka: Kafka;
      schema: ServiceSchema;
      onError?: ((error: Error) => void) | undefined;
      /** Rows per send. @defaultValue 500, as the library's relay */
      batchSize?: number;
      /** Polling when no notification comes. @defaultValue 100 */
      pollIntervalMs?: number;
    },
  ) {
    ({ table: this.table, channel: this.channel } = outboxTable(options.schema));
  }

  async start(): Promise<void> {
    // As the library's relay: acks=all (per send), idempotent, one request in flight.
    const producer = this.options.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    this.producer = producer;
    const listener = await this.options.pool.connect();
    listener.on('notification', () => this.notified());
    // A lost LISTEN connection only slows the relay to its polling.
    listener.on('error', (error) => this.options.onError?.(error));
    await listener.query(`listen ${this.channel}`);
    this.listener = listener;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    if (this.listener) {
      await this.listener.query(`unlisten ${this.channel}`).catch(() => undefined);
      this.listener.release();
      this.listener = undefined;
    }
    await this.producer?.disconnect();
  }

  private async run(): Promise<void> {
    const batchSize = this.options.batchSize ?? 500;
    while (this.running) {
      let sent: number;
      try {
        sent = await this.relayBatch(batchSize);
      } catch (error) {
        this.options.onError?.(error as Error);
        await this.idle(1000);
        continue;
      }
      if (sent < batchSize) await this.idle(this.options.pollIntervalMs ?? 100);
    }
  }

  /** One select–send–mark; returns the rows sent. */
  async relayBatch(batchSize: number): Promise<number> {
    const { pool } = this.options;
    const { rows } = await pool.query<OutboxRow>(
      `select seq::text as seq, id::text as id, topic, key, type, payload::text as payload, headers
         from ${this.table} where published_at is null order by seq limit $1`,
      [batchSize],
    );
    if (rows.length === 0) return 0;
    const byTopic = new Map<string, Message[]>();
    for (const row of rows) {
      const messages = byTopic.get(row.topic) ?? [];
      messages.push({
        key: row.key,
        value: row.payload,
        headers: { id: row.id, type: row.type, ...row.headers },
      });
      byTopic.set(row.topic, messages);
    }
    await this.producer!.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
    await pool.query(
      `update ${this.table} set published_at = now() where seq = any($1::bigint[])`,
      [rows.map((row) => row.seq)],
    );
    return rows.length;
  }

  private notified(): void {
    if (this.wake) this.wake();
    else this.notifiedMeanwhile = true;
  }

  /** Waits for a notification (or one that came during the last batch), `ms`, or stop. */
  private idle(ms: number): Promise<void> {
    if (this.notifiedMeanwhile || !this.running) {
      this.notifiedMeanwhile = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      this.wake = done;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
    }).finally(() => {
      this.wake = undefined;
    });
  }
}

/** The hand-written orchestrator: begins sagas and moves them on replies. */
export class BaselineOrchestrator {
  private consumer: Consumer | undefined;
  private readonly relay: BaselineRelay;
  private readonly topics;

  constructor(
    private readonly options: BaselineOptions & { onCompleted: (sagaId: string) => void },
  ) {
    this.topics = sagaTopics(options.prefix);
    this.relay = new BaselineRelay({
      pool: options.pool,
      kafka: options.kafka,
      schema: 'orders',
      onError: options.onError,
    });
  }

  async start(): Promise<void> {
    await this.relay.start();
    this.consumer = await inboxConsumer(this.options, 'orchestrator', (client, message, headers) =>
      this.onReply(client, message, headers),
    );
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.relay.stop();
  }

  /** The order, its saga, the step log and the first command, in one transaction. */
  async begin(sagaId: string, order: OrderInput): Promise<void> {
    await withTransaction(this.options.pool, async (client) => {
      await client.query(sql.placeOrder, [order.orderId, order.sku, order.quantity, order.amount]);
      await client.query(
        `insert into orders.saga_state (id, order_id, status, step, data) values ($1, $2, 'RUNNING', 0, $3)`,
        [sagaId, order.orderId, JSON.stringify(order)],
      );
      await client.query(
        `insert into orders.saga_steps (saga_id, step, event) values ($1, 0, 'command-sent')`,
        [sagaId],
      );
      await enqueue(client, 'orders', {
        topic: this.topics.inventory,
        key: sagaId,
        type: 'RESERVE_INVENTORY',
        payload: { orderId: order.orderId, sku: order.sku, quantity: order.quantity },
        headers: { 'saga-id': sagaId, 'saga-step': '0' },
      });
    });
  }

  private async onReply(
    client: Queryable,
    message: KafkaMessage,
    headers: Record<string, string>,
  ): Promise<(() => Promise<unknown>) | undefined> {
    const due = await applicableReply(client, message, headers);
    if (due === undefined) return undefined;
    const { sagaId, step, data, reply } = due;
    if (step === 0) {
      await client.query(
        `update orders.saga_state set step = 1, data = data || $2, version = version + 1, updated_at = now() where id = $1`,
        [sagaId, JSON.stringify({ reservationId: reply['reservationId'] })],
      );
      await client.query(
        `insert into orders.saga_steps (saga_id, step, event) values ($1, 1, 'command-sent')`,
        [sagaId],
      );
      const { orderId, amount } = data;
      await enqueue(client, 'orders', {
        topic: this.topics.payment,
        key: sagaId,
        type: 'PROCESS_PAYMENT',
        payload: { orderId, amount },
        headers: { 'saga-id': sagaId, 'saga-step': '1' },
      });
      return undefined;
    }
    await client.query(sql.confirm, [data.orderId]);
    await client.query(
      `update orders.saga_state set step = 2, status = 'COMPLETED', data = data || $2, version = version + 1, updated_at = now() where id = $1`,
      [sagaId, JSON.stringify({ paymentId: reply['paymentId'] })],
    );
    await client.query(
      `insert into orders.saga_steps (saga_id, step, event) values ($1, 2, 'completed')`,
      [sagaId],
    );
    return () => {
      this.options.onCompleted(sagaId);
      return Promise.resolve();
    };
  }
}

/** The hand-written inventory and payment services, each with its outbox and relay. */
export class BaselineParticipants {
  private readonly consumers: Consumer[] = [];
  private readonly relays: BaselineRelay[];

  constructor(private readonly options: BaselineOptions) {
    const { pool, kafka, onError } = options;
    this.relays = (['inventory', 'payment'] as const).map(
      (schema) => new BaselineRelay({ pool, kafka, schema, onError }),
    );
  }

  async start(): Promise<void> {
    const topics = sagaTopics(this.options.prefix);
    for (const relay of this.relays) await relay.start();
    /** A service consuming its command topic; `handle` returns the reply for saga step `step`. */
    const service = (
      name: 'inventory' | 'payment',
      step: string,
      replyType: string,
      handle: (client: Queryable, command: OrderInput) => Promise<Record<string, string>>,
    ): Promise<Consumer> =>
      inboxConsumer(this.options, name, async (client, message, headers) => {
        const command = JSON.parse(message.value!.toString()) as OrderInput;
        const sagaId = headers['saga-id']!;
        await enqueue(client, name, {
          topic: topics.replies,
          key: sagaId,
          type: replyType,
          payload: await handle(client, command),
          headers: { 'saga-id': sagaId, 'saga-step': step },
        });
        return undefined;
      });
    this.consumers.push(
      await service('inventory', '0', 'RESERVE_INVENTORY_REPLY', async (client, command) => {
        const reserved = await client.query(sql.reserve, [command.sku, command.quantity]);
        if (reserved.rowCount !== 1) throw new Error(`out of ${command.sku}`);
        await client.query(sql.recordReservation, [command.orderId, command.sku, command.quantity]);
        return { reservationId: `r-${command.orderId}` };
      }),
      await service('payment', '1', 'PROCESS_PAYMENT_REPLY', async (client, command) => {
        await client.query(sql.capture, [command.orderId, command.amount]);
        return { paymentId: `p-${command.orderId}` };
      }),
    );
  }

  async stop(): Promise<void> {
    for (const consumer of this.consumers) await consumer.disconnect();
    for (const relay of this.relays) await relay.stop();
  }
}

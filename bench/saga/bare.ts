/**
 * `bare`, for information: the order saga hand-written on pg and kafkajs with the saga's
 * transactions minus the outbox and the step log — each message is sent with `producer.send`
 * after its transaction commits. It is what the saga benchmark's baseline was before it did
 * the library's transactions (baseline.ts); it is not a valid ceiling, since it skips work the
 * library must do to be correct.
 *
 * - begin: one transaction (order + saga state row), then the reserve command is sent;
 * - each participant: one transaction per command (inbox row + the business statements),
 *   then the reply is sent;
 * - the orchestrator: one transaction per reply (inbox row, saga row locked and moved on; the
 *   confirmation runs in the payment reply's transaction), then the next command is sent.
 *
 * No outbox, no step log: a crash between commit and send loses the message (and the saga
 * waits forever). Nor validation, timeouts, retries or compensation. Consumers as the
 * baseline's (`inboxConsumer` of baseline.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, KafkaMessage, Producer } from 'kafkajs';
import { withTransaction, type Queryable } from '@trackops/core';
import {
  applicableReply,
  inboxConsumer,
  type BaselineOptions,
  type OrderInput,
} from './baseline.js';
import { sagaTopics, sql } from './workload.js';

function send(
  producer: Producer,
  topic: string,
  sagaId: string,
  headers: Record<string, string>,
  value: unknown,
): Promise<unknown> {
  return producer.send({
    topic,
    acks: -1,
    messages: [
      { key: sagaId, value: JSON.stringify(value), headers: { id: randomUUID(), ...headers } },
    ],
  });
}

/** The bare orchestrator: begins sagas and moves them on replies, sending after commit. */
export class BareOrchestrator {
  private producer: Producer | undefined;
  private consumer: Consumer | undefined;
  private readonly topics;

  constructor(
    private readonly options: BaselineOptions & { onCompleted: (sagaId: string) => void },
  ) {
    this.topics = sagaTopics(options.prefix);
  }

  async start(): Promise<void> {
    const { kafka } = this.options;
    this.producer = kafka.producer();
    await this.producer.connect();
    this.consumer = await inboxConsumer(this.options, 'orchestrator', (client, message, headers) =>
      this.onReply(client, message, headers),
    );
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }

  /** Writes the order and its saga in one transaction, then sends the first command. */
  async begin(sagaId: string, order: OrderInput): Promise<void> {
    await withTransaction(this.options.pool, async (client) => {
      await client.query(sql.placeOrder, [order.orderId, order.sku, order.quantity, order.amount]);
      await client.query(
        `insert into orders.saga_state (id, order_id, status, step, data) values ($1, $2, 'RUNNING', 0, $3)`,
        [sagaId, order.orderId, JSON.stringify(order)],
      );
    });
    await send(
      this.producer!,
      this.topics.inventory,
      sagaId,
      { type: 'RESERVE_INVENTORY', 'saga-id': sagaId, 'saga-step': '0' },
      { orderId: order.orderId, sku: order.sku, quantity: order.quantity },
    );
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
        `update orders.saga_state set step = 1, data = data || $2, updated_at = now() where id = $1`,
        [sagaId, JSON.stringify({ reservationId: reply['reservationId'] })],
      );
      const { orderId, amount } = data;
      return () =>
        send(
          this.producer!,
          this.topics.payment,
          sagaId,
          { type: 'PROCESS_PAYMENT', 'saga-id': sagaId, 'saga-step': '1' },
          { orderId, amount },
        );
    }
    await client.query(sql.confirm, [data.orderId]);
    await client.query(
      `update orders.saga_state set step = 2, status = 'COMPLETED', data = data || $2, updated_at = now() where id = $1`,
      [sagaId, JSON.stringify({ paymentId: reply['paymentId'] })],
    );
    return () => {
      this.options.onCompleted(sagaId);
      return Promise.resolve();
    };
  }
}

/** The bare inventory and payment services: each reply sent after its commit. */
export class BareParticipants {
  private producer: Producer | undefined;
  private readonly consumers: Consumer[] = [];

  constructor(private readonly options: BaselineOptions) {}

  async start(): Promise<void> {
    const { kafka, prefix } = this.options;
    const topics = sagaTopics(prefix);
    const producer = kafka.producer();
    this.producer = producer;
    await producer.connect();
    const reply = (sagaId: string, step: string, value: unknown) => (): Promise<unknown> =>
      send(producer, topics.replies, sagaId, { 'saga-id': sagaId, 'saga-step': step }, value);
    /** A service consuming its command topic; `handle` returns the reply for saga step `step`. */
    const service = (
      name: 'inventory' | 'payment',
      step: string,
      handle: (client: Queryable, command: OrderInput) => Promise<Record<string, string>>,
    ): Promise<Consumer> =>
      inboxConsumer(this.options, name, async (client, message, headers) => {
        const command = JSON.parse(message.value!.toString()) as OrderInput;
        return reply(headers['saga-id']!, step, await handle(client, command));
      });
    this.consumers.push(
      await service('inventory', '0', async (client, command) => {
        const reserved = await client.query(sql.reserve, [command.sku, command.quantity]);
        if (reserved.rowCount !== 1) throw new Error(`out of ${command.sku}`);
        await client.query(sql.recordReservation, [command.orderId, command.sku, command.quantity]);
        return { reservationId: `r-${command.orderId}` };
      }),
      await service('payment', '1', async (client, command) => {
        await client.query(sql.capture, [command.orderId, command.amount]);
        return { paymentId: `p-${command.orderId}` };
      }),
    );
  }

  async stop(): Promise<void> {
    for (const consumer of this.consumers) await consumer.disconnect();
    await this.producer?.disconnect();
  }
}

import type { ConnectionPool, Logger, MessageRetry, Queryable } from '@trackops/core';
import {
  createInboxConsumer,
  createRelay,
  type InboxConsumer,
  type InboxMessage,
  type OutboxRelay,
} from '@trackops/outbox';
import type { Kafka } from 'kafkajs';
import type { z } from 'zod';
import { relayOptionsFor, type relaySettingsSchema } from './relaySettings.js';
import type { SagaTableNames } from './tables.js';

/** What the runtime and a participant each run to talk to Kafka. @internal */
export interface TransportSettings {
  pool: ConnectionPool;
  kafka: Kafka;
  names: SagaTableNames;
  logger: Logger;
  /** The relay of the saga outbox, or `false` when the user runs one. */
  relay: false | z.output<typeof relaySettingsSchema>;
  groupId: string;
  topics: string[];
  fromBeginning: boolean;
  retry: MessageRetry;
  partitionsConsumedConcurrently: number;
  /** Runs in the inbox transaction of each message. */
  handler: (message: InboxMessage, tx: Queryable) => Promise<void>;
}

/**
 * The saga side of the outbox and inbox: a relay publishing the saga outbox (commands, or
 * replies) and an inbox consumer applying what arrives (replies, or commands) once each.
 * @internal
 */
export class SagaTransport {
  private relay: OutboxRelay | undefined;
  private consumer: InboxConsumer | undefined;

  /** Starts the relay first, so what the consumer's handlers write is published at once. */
  async start(settings: TransportSettings): Promise<void> {
    const { pool, kafka, names, logger } = settings;
    if (settings.relay !== false) {
      this.relay = createRelay(
        relayOptionsFor(settings.relay, { pool, kafka, table: names.outbox, logger }),
      );
      await this.relay.start();
    }
    this.consumer = createInboxConsumer({
      kafka,
      pool,
      groupId: settings.groupId,
      topics: settings.topics,
      inboxTable: names.inbox,
      fromBeginning: settings.fromBeginning,
      retry: settings.retry,
      partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently,
      handler: settings.handler,
      logger,
    });
    await this.consumer.start();
  }

  /** Stops consuming (committing offsets), then relaying what the last messages wrote. */
  async stop(): Promise<void> {
    await this.consumer?.stop();
    await this.relay?.stop();
  }
}

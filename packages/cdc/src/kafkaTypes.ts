/**
 * The kafkajs types the consumer, the lag metric and the DLQ replay use. kafkajs is a peer
 * dependency: callers pass their own client, so these are its types, under the names this
 * package's signatures use.
 */
import { optionTypes } from '@trackops/core';
import type { ConsumerConfig } from 'kafkajs';

export type {
  Admin as KafkaAdmin,
  Consumer,
  EachBatchPayload,
  IHeaders as KafkaHeaders,
  Kafka as KafkaClient,
  KafkaMessage,
  Producer,
} from 'kafkajs';

/** kafkajs consumer settings (`sessionTimeout`, `maxWaitTimeInMs`, …) except the group id. */
export type KafkaConsumerConfig = Omit<ConsumerConfig, 'groupId'>;

/** The option check of a kafkajs client (by shape, as everywhere in TrackOps). */
export const kafkaOption = optionTypes.kafka;

import { optionTypes } from '@trackops/core';
import type { z } from 'zod';

// The kafkajs types the consumer, the lag metric and the DLQ replay use, derived from the
// `Kafka` type of @trackops/core's option checks rather than imported from `kafkajs`: the
// caller passes their own kafkajs client and this package never loads kafkajs itself, so the
// types follow the kafkajs version core is checked against.

type CoreKafka = z.output<ReturnType<(typeof optionTypes)['kafka']>>;

// Interfaces of our own (not aliases of kafkajs' types): declarations then name them, and
// the package's .d.ts never has to reach kafkajs, which it does not depend on.

/** A kafkajs `Kafka` client, as the caller passes it (the parts used here). */
export interface KafkaClient {
  readonly producer: CoreKafka['producer'];
  readonly consumer: CoreKafka['consumer'];
  readonly admin: CoreKafka['admin'];
}
/** A kafkajs `Consumer`. @internal */
export type Consumer = ReturnType<KafkaClient['consumer']>;
/** A kafkajs `Producer`. @internal */
export type Producer = ReturnType<KafkaClient['producer']>;
/** A kafkajs `Admin` client (connected by the caller when passed in). */
export type KafkaAdmin = ReturnType<KafkaClient['admin']>;
/** What kafkajs passes to `eachBatch`. @internal */
export type EachBatchPayload = Parameters<
  NonNullable<NonNullable<Parameters<Consumer['run']>[0]>['eachBatch']>
>[0];
/** A record as kafkajs delivers it. @internal */
export type KafkaMessage = EachBatchPayload['batch']['messages'][number];
/** Record headers as kafkajs gives and takes them (its `IHeaders`). */
export type KafkaHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;
/** kafkajs consumer settings (`sessionTimeout`, `maxWaitTimeInMs`, …) but the group id. */
// An interface rather than an alias, for the declarations (see above).
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface KafkaConsumerConfig extends Omit<
  Parameters<CoreKafka['consumer']>[0],
  'groupId'
> {}

/**
 * The option check of a kafkajs client, typed with the local alias so that declarations of
 * the option schemas name `KafkaClient` rather than kafkajs, which this package does not
 * depend on. @internal
 */
export const kafkaOption = (): z.ZodType<KafkaClient, KafkaClient> => optionTypes.kafka();

/**
 * The payment participant: executes PROCESS_PAYMENT / REFUND_PAYMENT inside the order-service
 * process, on the order database (schema `payment`), against a simulated gateway whose
 * failures can be injected:
 *
 * - `PAYMENT_FAILURE_RATE` (0-1, default 0): the share of gateway calls that fail;
 * - `PAYMENT_LATENCY_MS` (default 0): how long a gateway call takes;
 * - customers whose id starts with `declined-` are always refused (`card declined`);
 * - a circuit breaker: `PAYMENT_BREAKER_FAILURES` (default 5) gateway failures in a row open
 *   it, and for `PAYMENT_BREAKER_COOLDOWN_MS` (default 10000) payments are refused at once
 *   (`payment gateway unavailable`) instead of waiting on a gateway that is down; then one
 *   trial payment decides whether it closes again. Declines are answers, not failures: they
 *   do not count.
 *
 * Every refusal is a `CommandRejected`: the order saga compensates and the order ends
 * CANCELLED with the reason.
 */
import { type Logger } from '@trackops/core';
import {
  CommandRejected,
  createSagaParticipant,
  handle,
  type SagaParticipant,
} from '@trackops/saga';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { CircuitBreaker } from './circuitBreaker.js';
import type { OrderCommands } from './topics.js';

/** The payment participant's tables live in this schema of the order database. */
export const paymentSchema = 'payment';

export const paymentSettingsSchema = z
  .object({
    failureRate: z.coerce.number().min(0).max(1).default(0),
    latencyMs: z.coerce.number().int().min(0).max(60_000).default(0),
    breakerFailures: z.coerce.number().int().min(1).default(5),
    breakerCoolDownMs: z.coerce.number().int().min(0).default(10_000),
    /** Random source of the failure injection (tests make it deterministic). */
    random: z
      .custom<() => number>((value) => typeof value === 'function', 'must be a function')
      .default(() => Math.random),
  })
  .strict();
export type PaymentSettings = z.input<typeof paymentSettingsSchema>;

const envNames = {
  failureRate: 'PAYMENT_FAILURE_RATE',
  latencyMs: 'PAYMENT_LATENCY_MS',
  breakerFailures: 'PAYMENT_BREAKER_FAILURES',
  breakerCoolDownMs: 'PAYMENT_BREAKER_COOLDOWN_MS',
} as const;

/** The payment settings from the environment. @throws Error naming each bad variable. */
export function paymentSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): PaymentSettings {
  const given = Object.fromEntries(
    Object.entries(envNames)
      .filter(([, name]) => env[name] !== undefined && env[name] !== '')
      .map(([key, name]) => [key, env[name]]),
  );
  const result = paymentSettingsSchema.safeParse(given);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) =>
        `${envNames[issue.path[0] as keyof typeof envNames] ?? String(issue.path[0])}: ${issue.message}`,
    );
    throw new Error(`order-service: invalid payment settings: ${problems.join('; ')}`);
  }
  return result.data;
}

class GatewayError extends Error {
  override name = 'GatewayError';
}

/** The payment participant and its breaker (for health and tests). */
export interface PaymentParticipant {
  participant: SagaParticipant;
  breaker: CircuitBreaker;
}

export function createPaymentParticipant(options: {
  pool: pg.Pool;
  kafka: Kafka;
  commands: OrderCommands;
  groupId: string;
  settings: PaymentSettings;
  logger: Logger;
}): PaymentParticipant {
  const settings = paymentSettingsSchema.parse(options.settings);
  const { logger } = options;
  const breaker = new CircuitBreaker({
    failureThreshold: settings.breakerFailures,
    coolDownMs: settings.breakerCoolDownMs,
    onStateChange: (state) => logger.warn({ breaker: state }, `payment circuit breaker ${state}`),
  });

  /** The simulated gateway: latency, then an injected failure or an authorization. */
  const gateway = async (): Promise<void> => {
    if (settings.latencyMs > 0) await sleep(settings.latencyMs);
    if (settings.random() < settings.failureRate) throw new GatewayError('payment gateway error');
  };

  const participant = createSagaParticipant({
    pool: options.pool,
    kafka: options.kafka,
    groupId: options.groupId,
    tables: { schema: paymentSchema },
    logger,
    handlers: [
      handle(options.commands.processPayment, async (payment, { tx, correlationId }) => {
        if (payment.customerId.startsWith('declined-')) throw new CommandRejected('card declined');
        let outcome;
        try {
          outcome = await breaker.run(gateway);
        } catch (error) {
          if (!(error instanceof GatewayError)) throw error;
          logger.warn({ orderId: payment.orderId, correlationId }, 'payment gateway failed');
          throw new CommandRejected(error.message);
        }
        if (outcome.refused) {
          throw new CommandRejected('payment gateway unavailable (circuit breaker open)');
        }
        const paymentId = uuidv7();
        await tx.query(
          `insert into payment.payments (id, order_id, customer_id, amount, status)
           values ($1, $2, $3, $4, 'CAPTURED')`,
          [paymentId, payment.orderId, payment.customerId, payment.amount],
        );
        return { paymentId };
      }),
      handle(options.commands.refundPayment, async ({ orderId }, { tx }) => {
        // Tolerates a payment that never happened (the action timed out or never arrived).
        const { rowCount } = await tx.query(
          `update payment.payments set status = 'REFUNDED', refunded_at = now()
            where order_id = $1 and status = 'CAPTURED'`,
          [orderId],
        );
        return { refunded: rowCount === 1 };
      }),
    ],
  });
  return { participant, breaker };
}

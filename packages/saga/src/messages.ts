import type { OutboxEvent } from '@trackops/outbox';
import { SagaError } from './errors.js';
import type { OutgoingCommand, StepPhase } from './machine.js';

/**
 * The headers saga messages carry besides the outbox's own (`id`, `type`, `correlation-id`,
 * `causation-id`). Commands carry all but `saga-outcome`; replies echo the saga, step and phase
 * of their command and add `saga-outcome`.
 */
export const sagaHeaders = {
  sagaId: 'saga-id',
  sagaType: 'saga-type',
  step: 'saga-step',
  stepName: 'saga-step-name',
  phase: 'saga-phase',
  attempt: 'saga-attempt',
  replyTopic: 'reply-topic',
  outcome: 'saga-outcome',
} as const;

/** What identifies a command's saga, step and phase, as its headers carry it. */
export interface SagaAddress {
  sagaId: string;
  sagaType: string;
  step: number;
  stepName: string;
  phase: StepPhase;
}

/** The outbox event of a command: keyed by saga id, routed to the command's topic. */
export function commandEvent(
  address: Omit<SagaAddress, 'step' | 'phase'>,
  command: OutgoingCommand,
  replyTopic: string,
  correlationId: string | null,
): OutboxEvent {
  return {
    aggregateType: command.topic,
    aggregateId: address.sagaId,
    type: command.type,
    payload: command.payload,
    correlationId: correlationId ?? address.sagaId,
    headers: {
      [sagaHeaders.sagaId]: address.sagaId,
      [sagaHeaders.sagaType]: address.sagaType,
      [sagaHeaders.step]: String(command.step),
      [sagaHeaders.stepName]: address.stepName,
      [sagaHeaders.phase]: command.phase,
      [sagaHeaders.attempt]: String(command.attempt),
      [sagaHeaders.replyTopic]: replyTopic,
    },
  };
}

/** A reply's outcome: the handler's result, or the reason it refused the command. */
export type ReplyOutcome =
  { outcome: 'success'; payload: unknown } | { outcome: 'failure'; reason: string };

/** The outbox event of a reply, keyed by saga id and routed to the command's reply topic. */
export function replyEvent(
  command: {
    address: SagaAddress;
    type: string;
    id: string;
    replyTopic: string;
    correlationId: string | undefined;
  },
  reply: ReplyOutcome,
): OutboxEvent {
  const { address } = command;
  return {
    aggregateType: command.replyTopic,
    aggregateId: address.sagaId,
    type: `${command.type}_REPLY`,
    payload: reply.outcome === 'success' ? reply.payload : { reason: reply.reason },
    causationId: command.id,
    correlationId: command.correlationId,
    headers: {
      [sagaHeaders.sagaId]: address.sagaId,
      [sagaHeaders.sagaType]: address.sagaType,
      [sagaHeaders.step]: String(address.step),
      [sagaHeaders.stepName]: address.stepName,
      [sagaHeaders.phase]: address.phase,
      [sagaHeaders.outcome]: reply.outcome,
    },
  };
}

function unknownMessage(message: string): SagaError {
  return new SagaError({ code: 'SAGA_UNKNOWN_MESSAGE', message });
}

function required(headers: Record<string, string>, name: string): string {
  const value = headers[name];
  if (value === undefined || value === '') throw unknownMessage(`missing header ${name}`);
  return value;
}

/**
 * Reads the saga address from a command's or reply's headers.
 * @throws SagaError `SAGA_UNKNOWN_MESSAGE` naming the missing or invalid header.
 */
export function addressOf(headers: Record<string, string>): SagaAddress {
  const step = Number(required(headers, sagaHeaders.step));
  if (!Number.isSafeInteger(step) || step < 0) {
    throw unknownMessage(
      `header ${sagaHeaders.step} must be a step index (got ${JSON.stringify(headers[sagaHeaders.step])})`,
    );
  }
  const phase = required(headers, sagaHeaders.phase);
  if (phase !== 'action' && phase !== 'compensation') {
    throw unknownMessage(
      `header ${sagaHeaders.phase} must be action or compensation (got ${JSON.stringify(phase)})`,
    );
  }
  return {
    sagaId: required(headers, sagaHeaders.sagaId),
    sagaType: required(headers, sagaHeaders.sagaType),
    step,
    stepName: required(headers, sagaHeaders.stepName),
    phase,
  };
}

/**
 * Parses a message value as JSON.
 * @throws SagaError `SAGA_UNKNOWN_MESSAGE` when it is not.
 */
export function jsonValue(value: Buffer | null, what: string): unknown {
  if (value === null) throw unknownMessage(`${what} has no value`);
  try {
    return JSON.parse(value.toString('utf8')) as unknown;
  } catch (error) {
    throw unknownMessage(`${what} is not JSON: ${(error as Error).message}`);
  }
}

/**
 * Reads a reply's outcome from its headers and value.
 * @throws SagaError `SAGA_UNKNOWN_MESSAGE` when the outcome header is missing or a failure has no reason.
 */
export function replyOutcome(headers: Record<string, string>, value: Buffer | null): ReplyOutcome {
  const outcome = required(headers, sagaHeaders.outcome);
  const body = jsonValue(value, 'reply');
  if (outcome === 'success') return { outcome, payload: body };
  if (outcome === 'failure') {
    const reason = (body as { reason?: unknown } | null)?.reason;
    return { outcome, reason: typeof reason === 'string' ? reason : 'failed (no reason given)' };
  }
  throw unknownMessage(
    `header ${sagaHeaders.outcome} must be success or failure (got ${JSON.stringify(outcome)})`,
  );
}

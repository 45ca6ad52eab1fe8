import { backoffDelay, messageRetryBackoff } from '@trackops/core';
import {
  validate,
  type CommandDefinition,
  type ResolvedStep,
  type SagaDefinition,
} from './definition.js';
import { SagaError } from './errors.js';

/** Every status a saga can be in. */
export const sagaStatuses = [
  'RUNNING',
  'COMPENSATING',
  'COMPLETED',
  'COMPENSATED',
  'COMPENSATION_FAILED',
  'ABORTED',
] as const;

/**
 * Where a saga is. `RUNNING` and `COMPENSATING` move on by themselves; `COMPENSATION_FAILED`
 * waits for an operator (`retrySaga` or `abortSaga`); the rest are final.
 */
export type SagaStatus = (typeof sagaStatuses)[number];

/** Whether a step's action or its compensation is meant. */
export type StepPhase = 'action' | 'compensation';

/** A saga instance's state, as stored. */
export interface SagaState {
  status: SagaStatus;
  /** The current step's index (`steps.length` once completed, -1 once fully compensated). */
  step: number;
  phase: StepPhase;
  /** Attempt of the current step's action or compensation, from 1. */
  attempt: number;
  data: unknown;
  /** Why the saga compensates (or was aborted). */
  error: string | null;
  /** Why its compensation failed, while `COMPENSATION_FAILED` (cleared by an operator retry). */
  compensationError: string | null;
  /** What the deadline is for: a reply's timeout, or the next attempt after a backoff. */
  waiting: 'reply' | 'retry' | null;
  /** Epoch ms at which the poller wakes the saga (`null`: nothing scheduled). */
  deadlineAt: number | null;
}

/** What happened to a saga, one entry per fact, in the step log. */
export type StepEvent =
  | 'started'
  | 'command-sent'
  | 'reply-succeeded'
  | 'reply-failed'
  | 'reply-ignored'
  | 'timed-out'
  | 'local-succeeded'
  | 'local-failed'
  | 'retry-scheduled'
  | 'completed'
  | 'compensated'
  | 'compensation-failed'
  | 'operator-retry'
  | 'operator-abort'
  | 'aborted';

/** One step-log entry. */
export interface StepLogEntry {
  step: number;
  phase: StepPhase;
  event: StepEvent;
  attempt: number;
  detail: string | null;
}

/** A command the transition sends (through the outbox, in the same transaction). */
export interface OutgoingCommand {
  step: number;
  phase: StepPhase;
  attempt: number;
  type: string;
  topic: string;
  payload: unknown;
}

/** What drives a saga. */
export type SagaInput =
  | { kind: 'begin' }
  | { kind: 'reply'; step: number; phase: StepPhase; outcome: 'success'; payload: unknown }
  | { kind: 'reply'; step: number; phase: StepPhase; outcome: 'failure'; reason: string }
  /** The deadline passed: a reply timed out, or a backoff is over. */
  | { kind: 'deadline' }
  | { kind: 'local-succeeded'; data: unknown }
  | { kind: 'local-failed'; error: string }
  | { kind: 'operator-retry' }
  | { kind: 'operator-abort'; reason: string };

/** The outcome of one input: the new state and what to write and send with it. */
export interface Transition {
  state: SagaState;
  log: StepLogEntry[];
  commands: OutgoingCommand[];
  /** A local action or compensation to run now, in the same transaction; feed its outcome back. */
  runLocal: { step: number; phase: StepPhase } | null;
  /** Set when the input changed nothing (a duplicate, late or unexpected reply), saying why. */
  ignored: string | null;
}

/** A fresh instance's state, before `begin`. */
export function initialState(data: unknown): SagaState {
  return {
    status: 'RUNNING',
    step: 0,
    phase: 'action',
    attempt: 1,
    data,
    error: null,
    compensationError: null,
    waiting: null,
    deadlineAt: null,
  };
}

/** Whether a state is final (no transition leaves it). */
export function isFinal(status: SagaStatus): boolean {
  return status === 'COMPLETED' || status === 'COMPENSATED' || status === 'ABORTED';
}

/**
 * The saga's state machine: one input in, the next state out, with the step-log entries and
 * commands that must commit with it. Pure — the runtime persists and sends, the test harness
 * keeps it in memory — so both drive sagas identically.
 *
 * @param now - Epoch ms, for deadlines.
 * @param random - For backoff jitter; injectable for deterministic tests.
 * @throws SagaError `SAGA_INVALID_DATA` when a reply does not match its step's schema, or
 *   `SAGA_INVALID_STATE` for an operator call that does not apply.
 */
export function decide(
  saga: SagaDefinition,
  current: SagaState,
  input: SagaInput,
  now: number,
  random: () => number = Math.random,
): Transition {
  const next = new Draft(saga, { ...current }, now, random);
  next.apply(input);
  return next.result();
}

class Draft {
  private readonly log: StepLogEntry[] = [];
  private readonly commands: OutgoingCommand[] = [];
  private runLocal: Transition['runLocal'] = null;
  private ignored: string | null = null;

  constructor(
    private readonly saga: SagaDefinition,
    private readonly state: SagaState,
    private readonly now: number,
    private readonly random: () => number,
  ) {}

  result(): Transition {
    return {
      state: this.state,
      log: this.log,
      commands: this.commands,
      runLocal: this.runLocal,
      ignored: this.ignored,
    };
  }

  apply(input: SagaInput): void {
    switch (input.kind) {
      case 'begin':
        this.record('started', null);
        this.enterAction(0);
        return;
      case 'reply':
        this.reply(input);
        return;
      case 'deadline':
        this.deadline();
        return;
      case 'local-succeeded':
        this.localSucceeded(input.data);
        return;
      case 'local-failed':
        this.failed(input.error, 'local-failed');
        return;
      case 'operator-retry':
        this.operatorRetry();
        return;
      case 'operator-abort':
        this.operatorAbort(input.reason);
        return;
    }
  }

  private get step(): ResolvedStep {
    return this.saga.steps[this.state.step]!;
  }

  private record(event: StepEvent, detail: string | null): void {
    const { step, phase, attempt } = this.state;
    this.log.push({ step, phase, event, attempt, detail });
  }

  private settle(waiting: SagaState['waiting'], deadlineAt: number | null): void {
    this.state.waiting = waiting;
    this.state.deadlineAt = deadlineAt;
  }

  /** Starts step `index`'s action (attempt 1), or completes the saga after the last step. */
  private enterAction(index: number): void {
    Object.assign(this.state, { status: 'RUNNING', step: index, phase: 'action', attempt: 1 });
    if (index >= this.saga.steps.length) {
      this.settle(null, null);
      this.state.status = 'COMPLETED';
      this.record('completed', null);
      return;
    }
    this.runAction();
  }

  private runAction(): void {
    const { action } = this.step;
    if (action.kind === 'local') {
      this.settle(null, null);
      this.runLocal = { step: this.state.step, phase: 'action' };
      return;
    }
    this.send(action.command, action.payload(this.state.data));
  }

  /**
   * Compensates from step `from` down: the first step at or below it that has a compensation,
   * or, when none is left, ends the saga COMPENSATED.
   */
  private enterCompensation(from: number): void {
    let index = from;
    while (index >= 0 && this.saga.steps[index]!.compensation === undefined) index--;
    Object.assign(this.state, {
      status: 'COMPENSATING',
      step: index,
      phase: 'compensation',
      attempt: 1,
    });
    if (index < 0) {
      this.settle(null, null);
      this.state.status = 'COMPENSATED';
      this.record('compensated', this.state.error);
      return;
    }
    this.runCompensation();
  }

  private runCompensation(): void {
    const compensation = this.step.compensation!;
    if (compensation.kind === 'local') {
      this.settle(null, null);
      this.runLocal = { step: this.state.step, phase: 'compensation' };
      return;
    }
    this.send(compensation.command, compensation.payload(this.state.data));
  }

  private send(command: CommandDefinition, payload: unknown): void {
    const { step, phase, attempt } = this.state;
    const what = `${command.type} payload of step ${this.step.name}`;
    this.commands.push({
      step,
      phase,
      attempt,
      type: command.type,
      topic: command.topic,
      payload: validate(command.payload, payload, what),
    });
    this.record('command-sent', command.type);
    this.settle('reply', this.now + this.step.timeoutMs);
  }

  private awaitsReply(input: Extract<SagaInput, { kind: 'reply' }>): boolean {
    const state = this.state;
    if (
      (state.status !== 'RUNNING' && state.status !== 'COMPENSATING') ||
      state.step !== input.step ||
      state.phase !== input.phase
    )
      return false;
    if (state.waiting === 'reply') return true;
    // Backing off after a compensation timed out: a success reply is the late answer to an
    // earlier attempt, and the only one that will come — the participant's inbox keys each
    // step's compensation once, so it does not answer the attempt about to be sent again.
    return (
      state.waiting === 'retry' &&
      input.outcome === 'success' &&
      this.step.compensation?.kind === 'command' &&
      state.phase === 'compensation'
    );
  }

  private reply(input: Extract<SagaInput, { kind: 'reply' }>): void {
    if (!this.awaitsReply(input)) {
      const stepName = this.saga.steps[input.step]?.name ?? `#${input.step}`;
      this.ignored = `not waiting for a reply to ${stepName} (${input.phase}): the saga is ${this.state.status} at step ${this.state.step} (${this.state.phase}${this.state.waiting === null ? '' : `, ${this.state.waiting}`})`;
      this.log.push({
        step: input.step,
        phase: input.phase,
        event: 'reply-ignored',
        attempt: this.state.attempt,
        detail: this.ignored,
      });
      return;
    }
    const step = this.step;
    if (input.outcome === 'failure') {
      this.record('reply-failed', input.reason);
      if (input.phase === 'action') {
        // A failure reply means the participant applied nothing: compensate the steps before.
        const action = step.action;
        if (action.kind === 'command' && action.onFailure) {
          this.state.data = action.onFailure(this.state.data, input.reason);
        }
        this.state.error = `${step.name}: ${input.reason}`;
        this.enterCompensation(step.index - 1);
      } else {
        this.retryOrGiveUp(input.reason);
      }
      return;
    }
    if (input.phase === 'compensation') {
      this.record('reply-succeeded', null);
      this.enterCompensation(step.index - 1);
      return;
    }
    const action = step.action;
    if (action.kind !== 'command') return; // awaitsReply holds only for command steps
    const reply = validate(
      action.command.reply,
      input.payload,
      `${action.command.type} reply of step ${step.name}`,
    );
    this.record('reply-succeeded', null);
    if (action.onReply) this.state.data = action.onReply(this.state.data, reply);
    this.enterAction(step.index + 1);
  }

  private deadline(): void {
    const { status, waiting, deadlineAt } = this.state;
    if (
      (status !== 'RUNNING' && status !== 'COMPENSATING') ||
      deadlineAt === null ||
      deadlineAt > this.now
    ) {
      this.ignored = 'no deadline due';
      return;
    }
    if (waiting === 'retry') {
      this.settle(null, null);
      if (this.state.phase === 'action') this.runAction();
      else this.runCompensation();
      return;
    }
    const reason = `no reply within ${this.step.timeoutMs} ms (attempt ${this.state.attempt})`;
    this.record('timed-out', reason);
    if (this.state.phase === 'compensation') {
      this.retryOrGiveUp(reason);
      return;
    }
    if (this.state.attempt < this.step.retry.attempts) {
      // Send again at once: the timeout was the wait. The participant keys its inbox by saga,
      // step and phase, so a command it already executed is not executed twice.
      this.state.attempt++;
      this.runAction();
      return;
    }
    // The action's effect is unknown: compensate this step too (compensations tolerate a
    // command that never ran).
    this.state.error = `${this.step.name}: timed out after ${this.state.attempt} attempts`;
    this.enterCompensation(this.state.step);
  }

  private localSucceeded(data: unknown): void {
    this.record('local-succeeded', null);
    if (data !== undefined) this.state.data = data;
    if (this.state.phase === 'action') this.enterAction(this.state.step + 1);
    else this.enterCompensation(this.state.step - 1);
  }

  /** A local action or compensation threw (its writes were rolled back). */
  private failed(error: string, event: StepEvent): void {
    this.record(event, error);
    if (this.state.phase === 'compensation') {
      this.retryOrGiveUp(error);
      return;
    }
    if (this.state.attempt < this.step.retry.attempts) {
      this.scheduleRetry();
      return;
    }
    this.state.error = `${this.step.name}: ${error}`;
    this.enterCompensation(this.state.step - 1);
  }

  /** A compensation failed: try again after a backoff, or stop in COMPENSATION_FAILED. */
  private retryOrGiveUp(error: string): void {
    if (this.state.attempt < this.step.retry.attempts) {
      this.scheduleRetry();
      return;
    }
    this.settle(null, null);
    this.state.status = 'COMPENSATION_FAILED';
    this.state.compensationError = `compensation of ${this.step.name} failed after ${this.state.attempt} attempts: ${error}`;
    this.record('compensation-failed', this.state.compensationError);
  }

  private scheduleRetry(): void {
    const delay = backoffDelay(
      messageRetryBackoff(this.step.retry),
      this.state.attempt,
      this.random,
    );
    this.state.attempt++;
    this.settle('retry', this.now + delay);
    this.record('retry-scheduled', `in ${delay} ms`);
  }

  private operatorRetry(): void {
    if (this.state.status !== 'COMPENSATION_FAILED') {
      throw invalidState(
        `retry applies to a COMPENSATION_FAILED saga; this one is ${this.state.status}`,
      );
    }
    Object.assign(this.state, { status: 'COMPENSATING', attempt: 1, compensationError: null });
    this.record('operator-retry', null);
    this.runCompensation();
  }

  private operatorAbort(reason: string): void {
    const { status } = this.state;
    if (status === 'COMPENSATION_FAILED') {
      this.settle(null, null);
      this.state.status = 'ABORTED';
      this.record('aborted', reason);
      return;
    }
    if (status !== 'RUNNING') {
      throw invalidState(
        `abort applies to a RUNNING or COMPENSATION_FAILED saga; this one is ${status}`,
      );
    }
    this.record('operator-abort', reason);
    this.state.error = `aborted: ${reason}`;
    // A command in flight may have taken effect: compensate its step too.
    const inFlight = this.state.waiting === 'reply' && this.step.action.kind === 'command';
    this.enterCompensation(inFlight ? this.state.step : this.state.step - 1);
  }
}

function invalidState(message: string): SagaError {
  return new SagaError({ code: 'SAGA_INVALID_STATE', message });
}

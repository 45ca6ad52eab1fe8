/**
 * Test a saga definition without Kafka or a database: drive it with scripted replies and a
 * clock you move, and assert the commands it sends and the state it ends in. The harness runs
 * the very state machine the runtime runs.
 *
 * @packageDocumentation
 */
import type { Queryable } from '@trackops/core';
import type { SagaDefinition } from './definition.js';
import { validate } from './definition.js';
import { SagaError } from './errors.js';
import {
  decide,
  initialState,
  type SagaInput,
  type SagaState,
  type StepLogEntry,
} from './machine.js';

/** A command the saga sent, as the harness records it. */
export interface SentCommand {
  step: number;
  stepName: string;
  phase: 'action' | 'compensation';
  attempt: number;
  type: string;
  topic: string;
  payload: unknown;
}

/** Options of {@link createSagaTestHarness}. */
export interface SagaTestHarnessOptions {
  /** The clock's start (epoch ms). @defaultValue 0 */
  now?: number;
  /** Backoff jitter. @defaultValue `() => 1` (the longest delay, deterministic) */
  random?: () => number;
  /**
   * What local steps receive as their transaction. @defaultValue an object whose `query`
   * throws, so a local step that touches the database fails the test loudly
   */
  tx?: Queryable;
}

/** Drives one saga instance in memory; see {@link createSagaTestHarness}. */
export interface SagaTestHarness<TData> {
  /** The saga's state (status, step, data, error …). */
  readonly state: SagaState & { data: TData };
  /** Every command sent so far, in order. */
  readonly commands: readonly SentCommand[];
  /** The step log so far. */
  readonly log: readonly StepLogEntry[];
  /** The clock (epoch ms). */
  readonly now: number;
  /** Starts the saga with `data` (validated). */
  begin(data: TData): Promise<void>;
  /** Replies success to the command the saga waits for (validated against its reply schema). */
  reply(payload: unknown): Promise<void>;
  /** Replies failure (the participant refused) to the command the saga waits for. */
  fail(reason: string): Promise<void>;
  /** Delivers a reply for any step and phase (duplicates, late replies). */
  deliver(input: Extract<SagaInput, { kind: 'reply' }>): Promise<void>;
  /** Moves the clock; fires the deadline (timeout or retry) if it comes due. */
  advance(ms: number): Promise<void>;
  /** The operator's retry of a COMPENSATION_FAILED saga. */
  retry(): Promise<void>;
  /** The operator's abort. */
  abort(reason: string): Promise<void>;
}

const noDatabase: Queryable = {
  query: () =>
    Promise.reject(
      new Error('the saga test harness has no database: pass { tx } to createSagaTestHarness'),
    ),
};

/**
 * A harness that runs `saga` in memory.
 *
 * @example
 * ```ts
 * const saga = createSagaTestHarness(OrderSaga);
 * await saga.begin({ orderId: 'o-1', items, total: '9.90' });
 * expect(saga.commands.at(-1)?.type).toBe('RESERVE_INVENTORY');
 * await saga.reply({ reservationId: 'r-1' });
 * await saga.fail('card declined');            // payment refused
 * expect(saga.commands.at(-1)?.type).toBe('RELEASE_INVENTORY');
 * await saga.advance(30_000);                  // the release times out, and is retried
 * await saga.reply({});
 * expect(saga.state.status).toBe('COMPENSATED');
 * ```
 */
export function createSagaTestHarness<TData>(
  saga: SagaDefinition<TData>,
  options: SagaTestHarnessOptions = {},
): SagaTestHarness<TData> {
  const definition = saga as SagaDefinition;
  const random = options.random ?? (() => 1);
  const tx = options.tx ?? noDatabase;
  let now = options.now ?? 0;
  let state: SagaState | undefined;
  const commands: SentCommand[] = [];
  const log: StepLogEntry[] = [];

  const current = (): SagaState => {
    if (state === undefined) {
      throw new SagaError({
        code: 'SAGA_INVALID_STATE',
        message: 'the saga has not begun: call begin(data) first',
      });
    }
    return state;
  };

  const apply = async (input: SagaInput): Promise<void> => {
    let transition = decide(definition, current(), input, now, random);
    for (;;) {
      log.push(...transition.log);
      for (const command of transition.commands) {
        commands.push({ ...command, stepName: definition.steps[command.step]!.name });
      }
      if (transition.runLocal === null) break;
      const step = definition.steps[transition.runLocal.step]!;
      const local = transition.runLocal.phase === 'action' ? step.action : step.compensation;
      let outcome: SagaInput;
      try {
        if (local?.kind !== 'local')
          throw new Error(`step ${step.name} has no local ${transition.runLocal.phase}`);
        outcome = { kind: 'local-succeeded', data: await local.run(tx, transition.state.data) };
      } catch (error) {
        outcome = {
          kind: 'local-failed',
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        };
      }
      transition = decide(definition, transition.state, outcome, now, random);
    }
    validate(definition.data, transition.state.data, `${definition.name} saga data`);
    state = transition.state;
  };

  const awaited = (): { step: number; phase: 'action' | 'compensation' } => {
    const { waiting, step, phase, status } = current();
    if (waiting !== 'reply') {
      throw new SagaError({
        code: 'SAGA_INVALID_STATE',
        message: `the saga is not waiting for a reply (it is ${status} at step ${step}, ${phase}${waiting === null ? '' : `, waiting for a ${waiting}`})`,
      });
    }
    return { step, phase };
  };

  return {
    get state() {
      return current() as SagaState & { data: TData };
    },
    get commands() {
      return commands;
    },
    get log() {
      return log;
    },
    get now() {
      return now;
    },
    async begin(data) {
      if (state !== undefined)
        throw new SagaError({ code: 'SAGA_INVALID_STATE', message: 'begin() was already called' });
      state = initialState(validate(definition.data, data, `${definition.name} saga data`));
      await apply({ kind: 'begin' });
    },
    reply: (payload) => apply({ kind: 'reply', ...awaited(), outcome: 'success', payload }),
    fail: (reason) => apply({ kind: 'reply', ...awaited(), outcome: 'failure', reason }),
    deliver: (input) => apply(input),
    async advance(ms) {
      now += ms;
      // Fire every deadline that comes due within the step (a timeout, then a retry's backoff …).
      for (let fired = 0; fired < 1000; fired++) {
        const { deadlineAt } = current();
        if (deadlineAt === null || deadlineAt > now) return;
        await apply({ kind: 'deadline' });
      }
    },
    retry: () => apply({ kind: 'operator-retry' }),
    abort: (reason) => apply({ kind: 'operator-abort', reason }),
  };
}

import type { Queryable } from '@trackops/core';
import type { Outbox } from '@trackops/outbox';
import { validate, type SagaDefinition } from './definition.js';
import { SagaError } from './errors.js';
import {
  decide,
  initialState,
  type SagaInput,
  type SagaState,
  type StepLogEntry,
  type Transition,
} from './machine.js';
import { commandEvent } from './messages.js';
import { insertInstance, saveTransition, type InstanceRow } from './store.js';
import type { SagaTableNames } from './tables.js';

/** What one applied input did to an instance. */
export interface Applied {
  instance: InstanceRow;
  before: SagaState;
  after: SagaState;
  log: StepLogEntry[];
  /** Why nothing changed, when the input was a duplicate, late or not due. */
  ignored: string | null;
}

/**
 * Runs the state machine inside a database transaction: decides, runs local steps under a
 * savepoint, writes the new state (version-checked), the step log and the commands (through
 * the outbox) — all in the caller's transaction, so they commit together or not at all.
 * @internal
 */
export class SagaEngine {
  private readonly sagas = new Map<string, SagaDefinition>();

  constructor(
    sagas: readonly SagaDefinition[],
    private readonly names: SagaTableNames,
    private readonly outbox: Outbox,
    private readonly replyTopic: string,
    private readonly clock: () => number,
  ) {
    for (const saga of sagas) {
      if (this.sagas.has(saga.name)) {
        throw new SagaError({
          code: 'SAGA_INVALID_DEFINITION',
          message: `saga ${JSON.stringify(saga.name)} is registered twice`,
        });
      }
      this.sagas.set(saga.name, saga);
    }
  }

  /** The registered definition of a saga type. @throws SagaError `SAGA_UNKNOWN_MESSAGE` */
  definition(sagaType: string): SagaDefinition {
    const saga = this.sagas.get(sagaType);
    if (saga === undefined) {
      throw new SagaError({
        code: 'SAGA_UNKNOWN_MESSAGE',
        message: `saga type ${JSON.stringify(sagaType)} is not registered with this runtime (registered: ${[...this.sagas.keys()].join(', ')})`,
      });
    }
    return saga;
  }

  /** Inserts an instance and runs its first step, in `tx`. */
  async begin(
    tx: Queryable,
    saga: SagaDefinition,
    data: unknown,
    id: string,
    correlationId: string | null,
  ): Promise<Applied> {
    const registered = this.definition(saga.name);
    if (registered !== saga) {
      throw new SagaError({
        code: 'SAGA_INVALID_DEFINITION',
        message: `another definition of saga ${JSON.stringify(saga.name)} is registered with this runtime`,
      });
    }
    const valid = validate(saga.data, data, `${saga.name} saga data`);
    const instance = await insertInstance(tx, this.names, {
      id,
      sagaType: saga.name,
      correlationId,
      state: initialState(valid),
    });
    return this.apply(tx, instance, { kind: 'begin' }, null);
  }

  /** Applies one input to a locked instance, in `tx`. */
  async apply(
    tx: Queryable,
    instance: InstanceRow,
    input: SagaInput,
    messageId: string | null,
  ): Promise<Applied> {
    const saga = this.definition(instance.sagaType);
    const now = this.clock();
    let transition = decide(saga, instance.state, input, now);
    const log: StepLogEntry[] = [];
    const commands: Transition['commands'] = [];
    const ignored = transition.ignored;
    for (;;) {
      log.push(...transition.log);
      commands.push(...transition.commands);
      if (transition.runLocal === null) break;
      const outcome = await this.runLocal(tx, saga, transition.state, transition.runLocal);
      transition = decide(saga, transition.state, outcome, now);
    }
    const after = transition.state;
    const applied = { instance, before: instance.state, after, log, ignored };
    if (ignored !== null && log.length === 0) return applied;
    validate(
      saga.data,
      after.data,
      `${saga.name} saga data after step ${saga.steps[after.step]?.name ?? after.step}`,
    );
    if (commands.length > 0) {
      await this.outbox.enqueue(
        tx,
        commands.map((command) =>
          commandEvent(
            { sagaId: instance.id, sagaType: saga.name, stepName: saga.steps[command.step]!.name },
            command,
            this.replyTopic,
            instance.correlationId,
          ),
        ),
      );
    }
    await saveTransition(
      tx,
      this.names,
      instance,
      after,
      log,
      (step) => saga.steps[step]?.name ?? null,
      messageId,
    );
    return applied;
  }

  /** Runs a local action or compensation under a savepoint: a throw undoes only its writes. */
  private async runLocal(
    tx: Queryable,
    saga: SagaDefinition,
    state: SagaState,
    target: { step: number; phase: 'action' | 'compensation' },
  ): Promise<SagaInput> {
    const step = saga.steps[target.step]!;
    const local = target.phase === 'action' ? step.action : step.compensation;
    if (local?.kind !== 'local') throw new Error(`step ${step.name} has no local ${target.phase}`);
    await tx.query('savepoint trackops_saga_local');
    try {
      const data = await local.run(tx, state.data);
      if (data !== undefined)
        validate(saga.data, data, `${saga.name} saga data returned by ${step.name}`);
      // Not released: the commit ends it, and a release would cost a round trip per step.
      return { kind: 'local-succeeded', data };
    } catch (error) {
      await tx.query('rollback to savepoint trackops_saga_local');
      return {
        kind: 'local-failed',
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      };
    }
  }
}

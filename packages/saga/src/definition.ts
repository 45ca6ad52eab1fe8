import {
  describeIssues,
  messageRetrySchema,
  type MessageRetry,
  type Queryable,
} from '@trackops/core';
import { z } from 'zod';
import { SagaError } from './errors.js';

/**
 * A command a saga sends to a participant, declared once and shared by both sides: the saga
 * builds its payload, the participant handles it, and both agree on the reply's shape.
 */
export interface CommandDefinition<
  TType extends string = string,
  TPayload extends z.ZodType = z.ZodType,
  TReply extends z.ZodType = z.ZodType,
> {
  /** The command type, sent as the `type` header (e.g. `RESERVE_INVENTORY`). */
  readonly type: TType;
  /** The topic the participant consumes commands from. */
  readonly topic: string;
  readonly payload: TPayload;
  readonly reply: TReply;
}

const commandDefinitionSchema = z.object({
  type: z.string().min(1).max(255),
  topic: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a valid Kafka topic name'),
  payload: z.custom<z.ZodType>((value) => value instanceof z.ZodType, 'must be a zod schema'),
  reply: z.custom<z.ZodType>((value) => value instanceof z.ZodType, 'must be a zod schema'),
});

/**
 * Declares a command type with its topic, payload schema and reply schema.
 *
 * @example
 * ```ts
 * const ReserveInventory = defineCommand({
 *   type: 'RESERVE_INVENTORY',
 *   topic: 'inventory.commands',
 *   payload: z.object({ orderId: z.string(), items: z.array(item) }),
 *   reply: z.object({ reservationId: z.string() }),
 * });
 * ```
 * @throws SagaError `SAGA_INVALID_DEFINITION` naming the field.
 */
export function defineCommand<
  TType extends string,
  TPayload extends z.ZodType,
  TReply extends z.ZodType,
>(definition: {
  type: TType;
  topic: string;
  payload: TPayload;
  reply: TReply;
}): CommandDefinition<TType, TPayload, TReply> {
  const result = commandDefinitionSchema.safeParse(definition);
  if (!result.success) {
    throw new SagaError({
      code: 'SAGA_INVALID_DEFINITION',
      message: `invalid command definition ${JSON.stringify(definition.type)}: ${describeIssues(result.error)}`,
    });
  }
  return Object.freeze({ ...definition });
}

/** Sends `command` with the payload built from the saga's data. */
export interface CommandAction<TData, C extends CommandDefinition = CommandDefinition> {
  readonly command: C;
  /** Builds the command payload from the saga data (validated against `command.payload`). */
  readonly payload: (data: TData) => z.input<C['payload']>;
}

/**
 * Runs in the transition's own database transaction (the saga's database): its writes commit
 * with the saga's new state, or not at all. Return new data to replace the saga's data.
 */
export interface LocalAction<TData> {
  readonly local: (tx: Queryable, data: TData) => Promise<TData | void>;
}

/** How a step is compensated: a command to a participant, or a local transaction. */
export type Compensation<TData> = CommandAction<TData> | LocalAction<TData>;

/** Attempts and backoff of a step's action and of its compensation. */
export type StepRetry = MessageRetry;

interface StepCommon<TData> {
  /** Undoes the step's effect; runs when a later step fails (or this one times out). */
  readonly compensation?: Compensation<TData> | undefined;
  /**
   * How long to wait for a command's reply before the step counts as timed out (and is retried
   * while attempts remain). @defaultValue 30000
   */
  readonly timeoutMs?: number | undefined;
  /**
   * Attempts of the action (a timed-out command is sent again; a throwing local action runs
   * again) and of the compensation (after a failure reply, a timeout or a throw), with backoff.
   * @defaultValue `{ attempts: 3, initialMs: 200, maxMs: 5000 }`
   */
  readonly retry?: Partial<StepRetry> | undefined;
}

/** A step that sends a command and waits for its reply. */
export interface CommandStep<TData, C extends CommandDefinition> extends StepCommon<TData> {
  readonly command: C;
  readonly payload: (data: TData) => z.input<C['payload']>;
  /** Folds a success reply into the saga data. @defaultValue keeps the data */
  readonly onReply?: ((data: TData, reply: z.output<C['reply']>) => TData) | undefined;
  /** Records a failure reply's reason in the data before compensating. */
  readonly onFailure?: ((data: TData, reason: string) => TData) | undefined;
}

/** A step that runs a local transaction. */
export interface LocalStep<TData> extends StepCommon<TData>, LocalAction<TData> {}

/** A step as the runtime stores it: the declaration, resolved. @internal */
export interface ResolvedStep {
  readonly name: string;
  readonly index: number;
  readonly action:
    | {
        kind: 'command';
        command: CommandDefinition;
        payload: (data: unknown) => unknown;
        onReply: ((data: unknown, reply: unknown) => unknown) | undefined;
        onFailure: ((data: unknown, reason: string) => unknown) | undefined;
      }
    | { kind: 'local'; run: (tx: Queryable, data: unknown) => Promise<unknown> };
  readonly compensation:
    | { kind: 'command'; command: CommandDefinition; payload: (data: unknown) => unknown }
    | { kind: 'local'; run: (tx: Queryable, data: unknown) => Promise<unknown> }
    | undefined;
  readonly timeoutMs: number;
  readonly retry: StepRetry;
}

/** A finished saga definition, registered with a runtime or a test harness. */
export interface SagaDefinition<TData = unknown> {
  /** The saga type, stored with each instance (e.g. `order`). */
  readonly name: string;
  readonly data: z.ZodType<TData>;
  /** @internal */
  readonly steps: readonly ResolvedStep[];
}

/** Builds a saga one step at a time, so each step's reply type is checked against its handler. */
export interface SagaBuilder<TData> {
  /** Adds a step that sends a command and waits for its reply. */
  step<C extends CommandDefinition>(name: string, step: CommandStep<TData, C>): SagaBuilder<TData>;
  /** Adds a step that runs a local transaction. */
  step(name: string, step: LocalStep<TData>): SagaBuilder<TData>;
  /** Finishes the definition. @throws SagaError `SAGA_INVALID_DEFINITION` */
  build(): SagaDefinition<TData>;
}

const stepNamePattern = /^[A-Za-z0-9._-]{1,100}$/;
const timeoutSchema = z
  .int()
  .min(1)
  .max(7 * 24 * 3_600_000)
  .default(30_000);

function invalid(saga: string, message: string): SagaError {
  return new SagaError({
    code: 'SAGA_INVALID_DEFINITION',
    message: `invalid saga ${JSON.stringify(saga)}: ${message}`,
  });
}

function resolveCompensation(
  compensation: Compensation<unknown> | undefined,
): ResolvedStep['compensation'] {
  if (compensation === undefined) return undefined;
  if ('local' in compensation) return { kind: 'local', run: compensation.local };
  return { kind: 'command', command: compensation.command, payload: compensation.payload };
}

function resolveStep(
  saga: string,
  index: number,
  name: string,
  step: CommandStep<unknown, CommandDefinition> | LocalStep<unknown>,
): ResolvedStep {
  if (!stepNamePattern.test(name)) {
    throw invalid(
      saga,
      `step [${index}] name ${JSON.stringify(name)}: letters, digits, . _ - (1–100)`,
    );
  }
  const timeout = timeoutSchema.safeParse(step.timeoutMs);
  if (!timeout.success)
    throw invalid(saga, `step ${name}: timeoutMs: ${describeIssues(timeout.error)}`);
  const retry = messageRetrySchema.safeParse(step.retry ?? {});
  if (!retry.success) throw invalid(saga, `step ${name}: retry.${describeIssues(retry.error)}`);
  const action: ResolvedStep['action'] =
    'local' in step
      ? { kind: 'local', run: step.local }
      : {
          kind: 'command',
          command: step.command,
          payload: step.payload,
          onReply: step.onReply,
          onFailure: step.onFailure,
        };
  return {
    name,
    index,
    action,
    compensation: resolveCompensation(step.compensation),
    timeoutMs: timeout.data,
    retry: retry.data,
  };
}

/**
 * Declares a saga: its name, the zod schema of its data, then its steps in order.
 *
 * @example
 * ```ts
 * const OrderSaga = defineSaga({ name: 'order', data: orderData })
 *   .step('reserve-inventory', {
 *     command: ReserveInventory,
 *     payload: (data) => ({ orderId: data.orderId, items: data.items }),
 *     onReply: (data, reply) => ({ ...data, reservationId: reply.reservationId }),
 *     compensation: { command: ReleaseInventory, payload: (data) => ({ orderId: data.orderId }) },
 *     timeoutMs: 10_000,
 *   })
 *   .step('confirm-order', {
 *     local: async (tx, data) => {
 *       await tx.query("update orders set status = 'CONFIRMED' where id = $1", [data.orderId]);
 *     },
 *   })
 *   .build();
 * ```
 */
export function defineSaga<TSchema extends z.ZodType>(definition: {
  name: string;
  data: TSchema;
}): SagaBuilder<z.output<TSchema>> {
  const { name } = definition;
  if (!stepNamePattern.test(name)) {
    throw invalid(name, 'name: letters, digits, . _ - (1–100)');
  }
  const steps: ResolvedStep[] = [];
  const builder: SagaBuilder<z.output<TSchema>> = {
    step(stepName: string, step: CommandStep<unknown, CommandDefinition> | LocalStep<unknown>) {
      if (steps.some((existing) => existing.name === stepName)) {
        throw invalid(name, `step name ${JSON.stringify(stepName)} is used twice`);
      }
      steps.push(resolveStep(name, steps.length, stepName, step));
      return builder;
    },
    build() {
      if (steps.length === 0) throw invalid(name, 'it has no steps');
      return Object.freeze({
        name,
        data: definition.data as z.ZodType<z.output<TSchema>>,
        steps: Object.freeze([...steps]),
      });
    },
  } as SagaBuilder<z.output<TSchema>>;
  return builder;
}

/**
 * Validates `value` against `schema`, or throws `SAGA_INVALID_DATA` naming `what` and the field.
 * @internal
 */
export function validate<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new SagaError({
    code: 'SAGA_INVALID_DATA',
    message: `invalid ${what}: ${describeIssues(result.error)}`,
  });
}

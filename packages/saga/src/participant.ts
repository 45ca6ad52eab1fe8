import {
  Lifecycle,
  messageRetrySchema,
  optionTypes,
  parseOptions,
  silentLogger,
  type Logger,
  type Queryable,
  queryPrepared,
} from '@trackops/core';
import { createOutbox, type InboxMessage, type Outbox } from '@trackops/outbox';
import { z } from 'zod';
import { validate, type CommandDefinition } from './definition.js';
import { CommandRejected, SagaError } from './errors.js';
import {
  addressOf,
  jsonValue,
  replyEvent,
  sagaHeaders,
  type ReplyOutcome,
  type SagaAddress,
} from './messages.js';
import { relaySettingsSchema } from './relaySettings.js';
import { sagaTableNames, sagaTablesSchema } from './tables.js';
import { SagaTransport } from './transport.js';

/** What a command handler gets besides the payload. */
export interface CommandContext {
  /** The participant's transaction: the handler's writes commit with the reply and inbox row. */
  tx: Queryable;
  sagaId: string;
  /** The saga's correlation id (the `correlation-id` header). */
  correlationId: string | undefined;
  /** The command's event id (the `id` header). */
  messageId: string;
  /** `compensation` when the saga sends this command to undo a step. */
  phase: 'action' | 'compensation';
  /**
   * For a compensation: whether this participant processed the step's action (executed or
   * refused it). `false` means the action never arrived here — usually nothing is left to undo.
   * Always `true` for an action.
   */
  actionReceived: boolean;
}

/** A handler for one command type, built with {@link handle}. */
export interface CommandHandler {
  readonly command: CommandDefinition;
  readonly run: (payload: unknown, context: CommandContext) => Promise<unknown>;
}

/**
 * Binds a handler to a command definition: the payload arrives validated and typed, and the
 * returned reply is checked against the command's reply schema. Throw {@link CommandRejected}
 * to refuse the command (its writes roll back, the saga gets a failure reply and compensates);
 * any other error is a fault, retried and then dead-lettered.
 *
 * @example
 * ```ts
 * handle(ReserveInventory, async ({ orderId, items }, { tx }) => {
 *   if (!(await reserve(tx, orderId, items))) throw new CommandRejected('insufficient stock');
 *   return { reservationId: `r-${orderId}` }; // checked against the reply schema
 * });
 * ```
 */
export function handle<C extends CommandDefinition>(
  command: C,
  handler: (
    payload: z.output<C['payload']>,
    context: CommandContext,
  ) => Promise<z.input<C['reply']>>,
): CommandHandler {
  return { command, run: handler as CommandHandler['run'] };
}

/** Options of {@link createSagaParticipant}. */
export const sagaParticipantOptionsSchema = z
  .object({
    /** The participant's database (where `migrateParticipant` created its outbox and inbox). */
    pool: optionTypes.pool(),
    kafka: optionTypes.kafka(),
    /** The consumer group, also the inbox's consumer name. */
    groupId: z.string().min(1),
    /** One handler per command type; the topics consumed are those of their commands. */
    handlers: z
      .array(
        z.custom<CommandHandler>(
          (value) =>
            typeof value === 'object' && value !== null && 'command' in value && 'run' in value,
          'must be built with handle(command, fn)',
        ),
      )
      .min(1),
    /** The schema of the participant's saga outbox and inbox. @defaultValue `'public'` */
    tables: sagaTablesSchema.prefault({}),
    /** The relay of the replies (`false`: you run one yourself). @defaultValue a relay with its defaults */
    relay: z.union([z.literal(false), relaySettingsSchema]).prefault({}),
    /** Retries of a command that throws, before it is dead-lettered. */
    retry: messageRetrySchema.prefault({}),
    /** Command partitions processed at once (order holds per saga). @defaultValue 4 */
    partitionsConsumedConcurrently: z.int().min(1).max(64).default(4),
    /** Read the command topics from the start when the group is new. @defaultValue true */
    fromBeginning: z.boolean().default(true),
    signal: optionTypes.signal().optional(),
    logger: optionTypes.logger().optional(),
  })
  .strict();

/** Options of {@link createSagaParticipant}. */
export type SagaParticipantOptions = z.input<typeof sagaParticipantOptionsSchema>;

/** The participant's inbox key of a saga message: one execution per saga, step and phase. */
function inboxKey(address: { sagaId: string; step: number | string; phase: string }): string {
  return `saga:${address.sagaId}:${address.step}:${address.phase}`;
}

/**
 * A service that executes saga commands: consumes its command topics through the inbox (each
 * saga step's action and compensation runs once, even when the orchestrator sends it again
 * after a timeout — the copy is answered with the reply already given), runs the handler in a
 * transaction, and writes the reply to its saga outbox in that same transaction — so the
 * effect and the reply commit together.
 *
 * An action that arrives after its compensation (the orchestrator timed out and compensated
 * first) is refused without running: the saga has moved on, and running it would leave an
 * effect nothing undoes.
 */
export class SagaParticipant {
  private readonly options: z.output<typeof sagaParticipantOptionsSchema>;
  private readonly logger: Logger;
  private readonly handlers = new Map<string, CommandHandler>();
  private readonly names;
  private readonly outbox: Outbox;
  private readonly transport = new SagaTransport();
  private readonly lifecycle = new Lifecycle('saga participant', {
    start: () => this.doStart(),
    stop: () => this.transport.stop(),
  });

  constructor(options: SagaParticipantOptions) {
    this.options = parseOptions(sagaParticipantOptionsSchema, options, 'createSagaParticipant');
    this.logger = this.options.logger ?? silentLogger;
    for (const handler of this.options.handlers) {
      if (this.handlers.has(handler.command.type)) {
        throw new SagaError({
          code: 'SAGA_INVALID_DEFINITION',
          message: `createSagaParticipant: two handlers for command ${handler.command.type}`,
        });
      }
      this.handlers.set(handler.command.type, handler);
    }
    this.names = sagaTableNames(this.options.tables);
    this.outbox = createOutbox(this.names.outbox);
    this.lifecycle.stopOn(this.options.signal);
  }

  /** Starts the reply relay and the command consumer. Idempotent. */
  start(): Promise<void> {
    return this.lifecycle.start();
  }

  /** Finishes the command in hand, commits offsets, stops. Idempotent. */
  stop(): Promise<void> {
    return this.lifecycle.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private async doStart(): Promise<void> {
    const { pool, kafka, groupId } = this.options;
    await this.transport.start({
      pool,
      kafka,
      names: this.names,
      logger: this.logger,
      relay: this.options.relay,
      groupId,
      topics: [...new Set([...this.handlers.values()].map((handler) => handler.command.topic))],
      fromBeginning: this.options.fromBeginning,
      retry: this.options.retry,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently,
      // Keyed by the command's id, so a redelivered copy is skipped; a command the saga sent
      // again (a new id) reaches onCommand, which runs each step once and answers the copy.
      handler: (message, tx) => this.onCommand(message, tx),
    });
  }

  /**
   * Records that the step's command (this phase) ran, and tells whether the step's other phase
   * already ran here — one statement, since every command needs both answers.
   */
  private async claim(
    tx: Queryable,
    address: SagaAddress,
  ): Promise<{ claimed: boolean; otherPhaseRan: boolean }> {
    const other = address.phase === 'action' ? 'compensation' : 'action';
    const { rows } = await queryPrepared<{ claimed: boolean; other_phase_ran: boolean }>(
      tx,
      `with claimed as (
         insert into ${this.names.inboxQualified} (consumer, message_id) values ($1, $2)
         on conflict do nothing returning 1
       )
       select exists (select 1 from claimed) as claimed,
              exists (select 1 from ${this.names.inboxQualified} where consumer = $1 and message_id = $3)
                as other_phase_ran`,
      [this.options.groupId, inboxKey(address), inboxKey({ ...address, phase: other })],
    );
    return { claimed: rows[0]!.claimed, otherPhaseRan: rows[0]!.other_phase_ran };
  }

  /**
   * The reply this participant gave to the step's command, from its saga outbox; `undefined`
   * when retention deleted it.
   */
  private async previousReply(
    tx: Queryable,
    address: SagaAddress,
  ): Promise<ReplyOutcome | undefined> {
    const { rows } = await tx.query<{ payload: unknown; outcome: string | null }>(
      `select payload, headers->>'${sagaHeaders.outcome}' as outcome from ${this.outbox.names.qualified}
        where aggregateid = $1 and headers->>'${sagaHeaders.step}' = $2
          and headers->>'${sagaHeaders.phase}' = $3
        order by seq desc limit 1`,
      [address.sagaId, String(address.step), address.phase],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    if (row.outcome === 'success') return { outcome: 'success', payload: row.payload };
    const reason = (row.payload as { reason?: unknown } | null)?.reason;
    return { outcome: 'failure', reason: typeof reason === 'string' ? reason : 'failed' };
  }

  private async onCommand(message: InboxMessage, tx: Queryable): Promise<void> {
    const address = addressOf(message.headers);
    const type = message.headers['type'] ?? '';
    const handler = this.handlers.get(type);
    if (handler === undefined) {
      throw new SagaError({
        code: 'SAGA_UNKNOWN_MESSAGE',
        message: `no handler for command ${JSON.stringify(type)} on ${message.topic} (handled: ${[...this.handlers.keys()].join(', ')})`,
      });
    }
    const replyTopic = message.headers[sagaHeaders.replyTopic];
    if (replyTopic === undefined || replyTopic === '') {
      throw new SagaError({
        code: 'SAGA_UNKNOWN_MESSAGE',
        message: `command ${type} has no ${sagaHeaders.replyTopic} header`,
      });
    }
    const payload = validate(
      handler.command.payload,
      jsonValue(message.value, `command ${type}`),
      `${type} payload`,
    );
    const context = {
      sagaId: address.sagaId,
      correlationId: message.headers['correlation-id'],
      messageId: message.messageId,
      phase: address.phase,
    };
    const log = { ...context, commandType: type, step: address.stepName };
    let outcome: ReplyOutcome;
    const { claimed, otherPhaseRan } = await this.claim(tx, address);
    if (!claimed) {
      // The saga sent the command again (its reply was late, and the step timed out): the step
      // ran once already, so answer with the reply it gave — the saga may be waiting for it,
      // and no other answer would come.
      const previous = await this.previousReply(tx, address);
      if (previous === undefined) {
        this.logger.warn(log, 'repeated saga command: its earlier reply is no longer stored');
        return;
      }
      outcome = previous;
      this.logger.debug(log, 'repeated saga command answered with its earlier reply');
    } else if (address.phase === 'action' && otherPhaseRan) {
      outcome = {
        outcome: 'failure',
        reason: 'the saga compensated this step before the command arrived',
      };
      this.logger.warn(log, 'late saga command refused: its compensation ran first');
    } else {
      const actionReceived = address.phase === 'action' || otherPhaseRan;
      outcome = await this.execute(handler, payload, { ...context, tx, actionReceived });
      this.logger.debug({ ...log, outcome: outcome.outcome }, 'saga command handled');
      if (outcome.outcome === 'failure' && address.phase === 'compensation') {
        // The saga retries a refused compensation: forget it, so the next attempt runs. (A
        // refused action stays recorded: the saga never retries it, and running a redelivered
        // copy could leave an effect nothing undoes.)
        await tx.query(
          `delete from ${this.names.inboxQualified} where consumer = $1 and message_id = $2`,
          [this.options.groupId, inboxKey(address)],
        );
      }
    }
    await this.outbox.enqueue(
      tx,
      replyEvent(
        {
          address,
          type,
          id: message.headers['id'] ?? message.messageId,
          replyTopic,
          correlationId: context.correlationId,
        },
        outcome,
      ),
    );
  }

  /** Runs the handler under a savepoint: a refusal undoes its writes and becomes a failure reply. */
  private async execute(
    handler: CommandHandler,
    payload: unknown,
    context: CommandContext,
  ): Promise<ReplyOutcome> {
    const { tx } = context;
    await tx.query('savepoint trackops_saga_command');
    try {
      const reply = await handler.run(payload, context);
      // Not released: the commit ends it, and a release would cost a round trip per command.
      return {
        outcome: 'success',
        payload: validate(handler.command.reply, reply ?? {}, `${handler.command.type} reply`),
      };
    } catch (error) {
      if (!(error instanceof CommandRejected)) throw error;
      await tx.query('rollback to savepoint trackops_saga_command');
      return { outcome: 'failure', reason: error.reason };
    }
  }
}

/**
 * Creates a participant; nothing runs until `start()`.
 *
 * @example
 * ```ts
 * await migrateParticipant(pool);
 * const participant = createSagaParticipant({
 *   pool, kafka, groupId: 'inventory',
 *   handlers: [
 *     handle(ReserveInventory, async (payload, { tx }) => {
 *       const reserved = await reserve(tx, payload.items);
 *       if (!reserved) throw new CommandRejected('insufficient stock');
 *       return { reservationId: reserved.id };
 *     }),
 *     handle(ReleaseInventory, async (payload, { tx }) => { await release(tx, payload.orderId); return {}; }),
 *   ],
 * });
 * await participant.start();
 * ```
 */
export function createSagaParticipant(options: SagaParticipantOptions): SagaParticipant {
  return new SagaParticipant(options);
}

/**
 * Orchestrated sagas persisted in PostgreSQL, with commands and replies over Kafka through the
 * transactional outbox and inbox of `@trackops/outbox`.
 *
 * - {@link defineCommand} / {@link defineSaga}: the typed DSL.
 * - {@link migrateSagas} / {@link createSagaRuntime}: the orchestrator.
 * - {@link migrateParticipant} / {@link createSagaParticipant} / {@link handle}: the services
 *   that execute commands.
 * - {@link listSagas}, {@link getSaga}, {@link sagaStats}, `runtime.retry` / `runtime.abort`:
 *   operations.
 * - `@trackops/saga/testing`: drive a definition in memory with scripted replies and a clock.
 * - `@trackops/saga/prometheus`: prom-client metrics of a runtime.
 *
 * @packageDocumentation
 */

/**
 * The version of this package, equal to the `version` in its package.json.
 */
export const VERSION = '0.0.0';

export { SagaError, CommandRejected, type SagaErrorCode } from './errors.js';
export {
  defineCommand,
  defineSaga,
  type CommandDefinition,
  type CommandAction,
  type LocalAction,
  type Compensation,
  type CommandStep,
  type LocalStep,
  type StepRetry,
  type SagaDefinition,
  type SagaBuilder,
  type ResolvedStep,
} from './definition.js';
export {
  sagaStatuses,
  type SagaStatus,
  type StepPhase,
  type SagaState,
  type StepEvent,
  type StepLogEntry,
  type SagaInput,
} from './machine.js';
// Dead letters of this package's consumers are replayed with the shared replay.
export {
  replayDeadLetters,
  replayDeadLettersOptionsSchema,
  type ReplayDeadLettersOptions,
  type DeadLetterRecord,
  type ReplayedRecord,
  type ReplayResult,
} from '@trackops/core';
export { sagaHeaders } from './messages.js';
export {
  migrateSagas,
  migrateParticipant,
  sagaTablesSchema,
  type SagaTablesOptions,
} from './tables.js';
export { relaySettingsSchema, type RelaySettings } from './relaySettings.js';
export {
  createSagaRuntime,
  SagaRuntime,
  sagaRuntimeOptionsSchema,
  type SagaRuntimeOptions,
  type SagaRuntimeEvents,
  type SagaRuntimeStats,
  type BeginOptions,
} from './runtime.js';
export {
  createSagaParticipant,
  SagaParticipant,
  sagaParticipantOptionsSchema,
  handle,
  type SagaParticipantOptions,
  type CommandHandler,
  type CommandContext,
} from './participant.js';
export {
  listSagas,
  getSaga,
  sagaStats,
  listSagasSchema,
  type ListSagasOptions,
  type SagaSummary,
  type SagaDetails,
  type SagaStepRecord,
  type SagaStats,
} from './operations.js';

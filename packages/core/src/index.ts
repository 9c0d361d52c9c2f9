// The public surface of @callpermit/core: what an embedding service and the adapters use, named one by one.
// The domain (facts, commands, their order), the Decider (evolve, fold, decide) over a pair's state, the
// views, the lifecycle machines, policy, the run-time checks of the boundary, and the Engine with its
// storage port. Nothing here reads a clock or does I/O. Test kits import `@callpermit/core/testing`.

// The boundary: run-time checks of what an embedder hands in.
export { checkCommand, commandProblem } from './boundary/commandCheck.js';
export { factProblem, sourceProblem } from './boundary/factCheck.js';
export {
  businessIdProblem,
  MAX_ID_LENGTH,
  MAX_KEY_LENGTH,
  MAX_REF_LENGTH,
  pairProblem,
  textProblem,
  userIdProblem,
} from './boundary/identity.js';
export {
  type InstantInput,
  instantOrProblem,
  instantProblem,
  PLAUSIBLE_INSTANTS,
  secondsProblem,
  toInstant,
} from './boundary/instant.js';
export { type InputProblem, InvalidInput } from './boundary/invalidInput.js';
export { sameFact } from './boundary/sameFact.js';
// The domain: what happens, what the business asks for, and the order facts apply in.
export {
  type Attempt,
  type Command,
  type Decision,
  ErrorCode,
  type Refusal,
  type SendPermissionRequest,
  type StartCall,
} from './domain/commands.js';
// The stores keep a fact's rank and read facts in this order; the port speaks in positions.
export {
  compareFacts,
  comparePositions,
  type FoldPosition,
  factRank,
  positionOf,
} from './domain/factOrder.js';
export {
  type BusinessFact,
  type CallAttempted,
  type CallbackSettingChanged,
  type CallConnected,
  type CallDirection,
  type CallingSettingChanged,
  type CallRejected,
  type CallUnanswered,
  type Fact,
  type FactType,
  type GrantVia,
  isBusinessFact,
  type ObservedUsage,
  type PairFact,
  type PermissionDeclined,
  type PermissionGranted,
  type PermissionObserved,
  type PermissionRevoked,
  type PermissionStatus,
  type RequestChannel,
  type RequestDelivered,
  type RequestFailed,
  type RequestRead,
  type RequestSent,
  type SourceRef,
  type TemplateKnown,
  type UserCalled,
  type UserMessaged,
} from './domain/facts.js';
export { businessStreamId, type Pair, pairStreamId, parseStreamId } from './domain/pair.js';
export { durationSeconds, type Instant, isoDuration } from './domain/time.js';
// The engine and its storage port.
export type { ExecuteResult } from './engine/commandHandler.js';
export type { EngineOptions } from './engine/context.js';
export { Engine } from './engine/engine.js';
export type { AttemptExchange, AttemptOptions, AttemptResult } from './engine/guard.js';
export type {
  FactConflict,
  IngestOptions,
  IngestReads,
  IngestResult,
  RejectedFact,
} from './engine/ingest.js';
// The memory store's mutex, which the embedded SQL store uses too.
export { KeyedMutex } from './engine/keyedMutex.js';
export { MemoryFactStore } from './engine/memoryStore.js';
export {
  type BusinessInvalidation,
  type Checkpoint,
  ConcurrencyError,
  DuplicateFactError,
  type FactRange,
  type FactStore,
  type RecordedFact,
  type StoredHead,
  type StreamCommit,
} from './engine/port.js';
export {
  type StreamingOutcome,
  StreamingReplay,
  type StreamingReplayOptions,
} from './engine/streamingReplay.js';
// The lifecycle machines, and the tables the fold reads them through (drawn and checked by the timeline).
export { type LifecycleTable, permissionTable, requestTable } from './machines/lifecycleTable.js';
export {
  type PermissionEvent,
  type PermissionLifecycle,
  permissionMachine,
} from './machines/permissionMachine.js';
export { type RequestEvent, type RequestLifecycle, requestMachine } from './machines/requestMachine.js';
// Policy: every number Meta enforces, with the seed's values as defaults.
export {
  defaultPolicy,
  defaultPolicyBook,
  type Policy,
  type PolicyAt,
  type PolicyBook,
  type PolicyEra,
  type PolicyOverride,
  policyBook,
  policyFor,
  type WindowLimit,
} from './policy/policy.js';
// The Decider: evolve and fold (facts onto a pair's state), decide (a command at an instant).
export { BusinessSettings, businessRuleEnv, type RuleEnv } from './rules/businessSettings.js';
export { attemptRefusal, decide } from './rules/decide.js';
export { evolve, fold } from './rules/evolve.js';
export {
  type CallRecord,
  type Discrepancy,
  initialPairState,
  type Notice,
  type PairState,
  type PairStateJson,
  type PermissionRecord,
  pairStateFromJson,
  pairStateToJson,
  type RequestRecord,
} from './state/pairState.js';
// The views: what a pair's state answers at an instant.
export {
  type ActionView,
  type CallPermissionsView,
  callPermissions,
  type LimitView,
} from './views/callPermissions.js';
export { changeInstants } from './views/changes.js';
export { type RequestView, requests } from './views/requests.js';

// The public surface of @callpermit/core: the domain (facts, commands, rules, views), the two lifecycle
// machines, policy, and the engine with its storage port. Nothing here reads a clock or does I/O.

export { changeInstants } from './domain/changes.js';
export { checkCommand, commandProblem } from './domain/commandCheck.js';
export type {
  Attempt,
  Command,
  ErrorCode as ErrorCodeValue,
  Refusal,
  SendPermissionRequest,
  StartCall,
} from './domain/commands.js';
export { ErrorCode } from './domain/commands.js';
export { attemptRefusal, type Decision, decide } from './domain/decide.js';
export { applyFact, evolve, fold } from './domain/evolve.js';
export { factProblem, sourceProblem } from './domain/factCheck.js';
export * from './domain/facts.js';
export {
  businessIdProblem,
  MAX_ID_LENGTH,
  MAX_KEY_LENGTH,
  MAX_REF_LENGTH,
  pairProblem,
  textProblem,
  userIdProblem,
} from './domain/identity.js';
export {
  type InstantInput,
  instantOrProblem,
  instantProblem,
  PLAUSIBLE_INSTANTS,
  secondsProblem,
  toInstant,
} from './domain/instant.js';
export { type InputProblem, InvalidInput } from './domain/invalidInput.js';
export { businessStreamId, type Pair, pairStreamId, parseStreamId } from './domain/pair.js';
export {
  businessRuleEnv,
  type CallbackChange,
  callingDisabledAt,
  type PermissionStatus,
  permissionAt,
  type RuleEnv,
} from './domain/rules.js';
export { sameFact } from './domain/sameFact.js';
export * from './domain/state.js';
export { durationSeconds, type Instant, isoDuration } from './domain/time.js';
export {
  type ActionView,
  type CallPermissionsView,
  callPermissions,
  type LimitView,
  type RequestView,
  requestLifecycleAt,
  requests,
} from './domain/views.js';
export {
  type AttemptExchange,
  type AttemptOptions,
  type AttemptResult,
  Engine,
  type EngineOptions,
  type ExecuteResult,
  type FactConflict,
  type IngestOptions,
  type IngestReads,
  type IngestResult,
  type RejectedFact,
} from './engine/engine.js';
export { KeyedMutex } from './engine/keyedMutex.js';
export { comparePositions, MemoryFactStore, positionOf } from './engine/memoryStore.js';
export * from './engine/port.js';
export {
  type StreamingOutcome,
  StreamingReplay,
  type StreamingReplayOptions,
} from './engine/streamingReplay.js';
export {
  type LifecycleTable,
  lifecycleTable,
  permissionTable,
  requestTable,
} from './machines/lifecycleTable.js';
export {
  type PermissionEvent,
  type PermissionLifecycle,
  permissionEvents,
  permissionMachine,
} from './machines/permissionMachine.js';
export {
  type RequestEvent,
  type RequestLifecycle,
  requestEvents,
  requestMachine,
} from './machines/requestMachine.js';
export * from './policy/policy.js';

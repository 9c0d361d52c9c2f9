// @callpermit/service: the application services the adapters share (the CLI and the HTTP service), over
// core, cloud-api and store: received bodies → their facts and their inbox entries in one unit of work, and the
// store a process opens with the policy it keeps. No routes, no commands.

// The store's failure the adapters answer alike (HTTP 503, one CLI line), without depending on the store.
export { StoreUnavailable, type UnavailableReason } from '@callpermit/store';
export { ConfigurationError } from './failure.js';
export { GROUP_GATHER_MS, GROUP_MAX_LINES, LineRecorder, type LineRecorderOptions } from './lineRecorder.js';
export {
  conflictReason,
  describeRejection,
  factsOfLines,
  ingestLines,
  type LineResult,
  lineResults,
  placeOf,
  type TranslatedLine,
} from './lines.js';
export {
  GRAPH_SOURCE,
  GUARD_SOURCE,
  recordLines,
  templatesInLog,
  translateInboxEntry,
  WEBHOOK_SOURCE,
} from './received.js';
export { type BatchUnit, emptyCounts, type ReplayCounts, replayBatch, tally } from './replayBatch.js';
export { openStoreOption, type StoreFlags } from './storeOption.js';
export {
  POLICY_SETTING,
  type PolicySource,
  policyFromJson,
  readPolicyFile,
  type StorePolicy,
  storePolicy,
} from './storePolicy.js';
export { refusalsInInbox, type StoreTimelineOptions, storeTimeline } from './timeline.js';

// Moved to @callpermit/service (the HTTP service shares them); re-exported for existing importers.
export { openStoreOption, replayBatch } from '@callpermit/service';
export { type TranslatedLine, translateCaptures } from './capture.js';
export type { CliIo } from './commands/query.js';
export { CliFailure, Exit } from './failure.js';
export { main, program } from './main.js';
export {
  BULK_REPLAY_LINES,
  REPLAY_CACHE_MB,
  type ReplayCounts,
  type ReplayOptions,
  type ReplayTotals,
  replayCacheMb,
  replayCaptures,
} from './replayer.js';

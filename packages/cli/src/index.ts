export { type TranslatedLine, translateCaptures } from './capture.js';
export type { CliIo } from './commands/query.js';
export { CliFailure, Exit } from './failure.js';
export { main, program } from './main.js';
export {
  type BatchUnit,
  BULK_REPLAY_LINES,
  type ReplayCounts,
  type ReplayTotals,
  replayBatch,
  replayCaptures,
} from './replayer.js';
export { openStoreOption } from './storeOption.js';

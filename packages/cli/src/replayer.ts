import { Engine, type PolicyBook } from '@callpermit/core';
import type { SqlStore } from '@callpermit/store';
import { type TranslatedLine, translateCaptures } from './capture.js';
import { ingestLines, type LineResult } from './lineOutcomes.js';

/** What `replay --json` and `rebuild --json` print. */
export interface ReplayCounts {
  lines: number;
  applied: number;
  duplicates: number;
  ignored: number;
  rejected: number;
}

export function emptyCounts(): ReplayCounts {
  return { lines: 0, applied: 0, duplicates: 0, ignored: 0, rejected: 0 };
}

export function tally(counts: ReplayCounts, result: LineResult): void {
  counts.lines++;
  if (result.outcome === 'duplicate') counts.duplicates++;
  else counts[result.outcome]++;
}

/**
 * One batch of lines in one transaction: their facts and the lines themselves (verbatim, with their outcome,
 * in the inbox) commit together, so a replay killed at any point and run again ends in the state of one
 * clean replay. A body the inbox already holds counts as a duplicate.
 */
export async function replayBatch(
  store: SqlStore,
  policy: PolicyBook,
  batch: readonly TranslatedLine[],
): Promise<LineResult[]> {
  return store.atomically(async (facts, inbox) => {
    const results = await ingestLines(facts, new Engine(facts, { policy }), batch);
    const receipts = await inbox.record(
      batch.map((line, i) => {
        const r = results[i] as LineResult;
        const delivery = {
          body: line.raw,
          source: { file: line.file, line: line.lineNo },
          outcome: r.outcome,
        };
        return r.reason === undefined ? delivery : { ...delivery, reason: r.reason };
      }),
    );
    return results.map((r, i) =>
      receipts[i]?.repeated && r.outcome !== 'rejected' ? { outcome: 'duplicate' } : r,
    );
  });
}

/** Streams capture files into a store in batched transactions; `onLine` sees each line and what became of it. */
export async function replayCaptures(
  store: SqlStore,
  files: readonly string[],
  policy: PolicyBook,
  onLine: (line: TranslatedLine, result: LineResult) => void = () => {},
  batchSize = 1000,
): Promise<ReplayCounts> {
  const counts = emptyCounts();
  for await (const batch of translateCaptures(files, batchSize)) {
    const results = await replayBatch(store, policy, batch);
    for (const [i, line] of batch.entries()) {
      const result = results[i] as LineResult;
      tally(counts, result);
      onLine(line, result);
    }
  }
  return counts;
}

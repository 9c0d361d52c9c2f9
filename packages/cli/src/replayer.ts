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
 * clean replay. A body the inbox already holds counts as a duplicate. `engine` carries the policy and what
 * it knows of each business from batch to batch; it runs over the transaction's store.
 */
export async function replayBatch(
  store: SqlStore,
  engine: Engine,
  batch: readonly TranslatedLine[],
): Promise<LineResult[]> {
  return store.atomically(async (facts, inbox) => {
    const results = await ingestLines(engine.withStore(facts), batch);
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
  const engine = new Engine(store, { policy });
  const batches = translateCaptures(files, batchSize)[Symbol.asyncIterator]();
  // Translate the next batch while the current one is at the database.
  let next = batches.next();
  for (;;) {
    const current = await next;
    if (current.done) break;
    next = batches.next();
    // A read error surfaces at the next await; until then it must not count as unhandled.
    next.catch(() => {});
    const batch = current.value;
    const results = await replayBatch(store, engine, batch);
    for (const [i, line] of batch.entries()) {
      const result = results[i] as LineResult;
      tally(counts, result);
      onLine(line, result);
    }
  }
  return counts;
}

import type { Engine } from '@callpermit/core';
import type { EncodedBody, InboxDelivery, InboxReceipt, SqlStore } from '@callpermit/store';
import { ingestLines, type LineResult, lineResults, type TranslatedLine } from './lines.js';

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

/** The unit of work a batch runs in: `SqlStore.atomically`, or `bulkIngest` for a large replay. */
export type BatchUnit = Pick<SqlStore, 'atomically'>;

/**
 * One batch of lines in one transaction: their facts and the lines themselves (verbatim, with their outcome,
 * in the inbox) commit together, so a replay killed at any point and run again ends in the state of one
 * clean replay. A body the inbox already holds counts as a duplicate. `engine` carries the policy and what
 * it knows of each business from batch to batch; it runs over the transaction's store. `store` is the store
 * itself or any unit of work of the same shape (a replay passes `bulkIngest`).
 *
 * The lines go to the inbox as soon as the engine knows which facts are new, so the database stores them
 * while the engine folds. Should the engine have to try again (another writer stored some of the facts
 * meanwhile), the lines whose outcome changed are reclassified before the transaction ends. `bodies` are the
 * lines encoded for the inbox (`encodeBody`), when the caller did it ahead of time.
 */
export async function replayBatch(
  store: BatchUnit,
  engine: Engine,
  batch: readonly TranslatedLine[],
  bodies: readonly EncodedBody[] = [],
): Promise<LineResult[]> {
  return store.atomically(async (facts, inbox) => {
    let recorded: Promise<{ early: LineResult[]; receipts: InboxReceipt[] }> | undefined;
    const record = (early: LineResult[]) => {
      const pending = inbox
        .record(deliveries(batch, bodies, early))
        .then((receipts) => ({ early, receipts }));
      // Awaited below; until then a failure must not count as unhandled.
      pending.catch(() => {});
      return pending;
    };
    const results = await ingestLines(engine.withStore(facts), batch, {
      onReads: (reads) => {
        recorded ??= record(lineResults(batch, reads));
      },
      betweenFolds: turnsEvery(FOLD_SLICE_MS),
    });
    const { early, receipts } = await (recorded ?? record(results));
    const changed = results.flatMap((r, i) => {
      const receipt = receipts[i] as InboxReceipt;
      if (receipt.repeated || r.outcome === early[i]?.outcome) return [];
      return [r.reason === undefined ? { id: receipt.id, outcome: r.outcome } : { id: receipt.id, ...r }];
    });
    if (changed.length > 0) await inbox.reclassify(changed);
    return results.map((r, i) =>
      receipts[i]?.repeated && r.outcome !== 'rejected' ? { outcome: 'duplicate' } : r,
    );
  });
}

/**
 * How long (milliseconds) a batch's fold runs before it gives the event loop a turn. The inbox lines sent from
 * `onReads` (the ids, then a COPY of megabytes) leave for the database only in those turns: without them they
 * waited for the whole fold, and the database, idle meanwhile, stored them after it (docs/performance.md,
 * session 12).
 */
const FOLD_SLICE_MS = 5;

/** `betweenFolds` for the engine: a turn of the event loop (setImmediate) once `sliceMs` have passed since the last. */
function turnsEvery(sliceMs: number): () => Promise<void> | undefined {
  let since = performance.now();
  return () => {
    if (performance.now() - since < sliceMs) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        since = performance.now();
        resolve();
      }),
    );
  };
}

/** The inbox deliveries of a batch's lines, each with its outcome. */
function deliveries(
  batch: readonly TranslatedLine[],
  bodies: readonly EncodedBody[],
  results: readonly LineResult[],
): InboxDelivery[] {
  return batch.map((line, i) => {
    const r = results[i] as LineResult;
    const body = bodies[i] ?? line.raw;
    const source = line.lineNo > 0 ? { file: line.file, line: line.lineNo } : { file: line.file };
    const delivery = { body, source, outcome: r.outcome };
    return r.reason === undefined ? delivery : { ...delivery, reason: r.reason };
  });
}

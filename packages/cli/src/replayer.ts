import { Engine, type PolicyBook } from '@callpermit/core';
import {
  type EncodedBody,
  encodeBody,
  type InboxDelivery,
  type InboxReceipt,
  type SqlStore,
} from '@callpermit/store';
import type { TranslatedLine } from './capture.js';
import { ingestLines, type LineResult, lineResults } from './lineOutcomes.js';
import { translateOffThread } from './translationThread.js';

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
 *
 * The lines go to the inbox as soon as the engine knows which facts are new, so the database stores them
 * while the engine folds. Should the engine have to try again (another writer stored some of the facts
 * meanwhile), the lines whose outcome changed are reclassified before the transaction ends. `bodies` are the
 * lines encoded for the inbox (`encodeBody`), when the caller did it ahead of time.
 */
export async function replayBatch(
  store: SqlStore,
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

/** The inbox deliveries of a batch's lines, each with its outcome. */
function deliveries(
  batch: readonly TranslatedLine[],
  bodies: readonly EncodedBody[],
  results: readonly LineResult[],
): InboxDelivery[] {
  return batch.map((line, i) => {
    const r = results[i] as LineResult;
    const body = bodies[i] ?? line.raw;
    const delivery = { body, source: { file: line.file, line: line.lineNo }, outcome: r.outcome };
    return r.reason === undefined ? delivery : { ...delivery, reason: r.reason };
  });
}

/**
 * Lines per replay transaction. Larger batches amortise each transaction's round trips and rewrite each head
 * less often (replay.postgres: 4,000 lines ran about 10 % faster than 1,000); the cost is a longer commit
 * lock, about a quarter of a second per batch on PostgreSQL, which other writers wait out.
 */
export const REPLAY_BATCH_LINES = 4000;

/** Streams capture files into a store in batched transactions; `onLine` sees each line and what became of it. */
export async function replayCaptures(
  store: SqlStore,
  files: readonly string[],
  policy: PolicyBook,
  onLine: (line: TranslatedLine, result: LineResult) => void = () => {},
  batchSize = REPLAY_BATCH_LINES,
): Promise<ReplayCounts> {
  const counts = emptyCounts();
  const engine = new Engine(store, { policy });
  const batches = encoded(translateOffThread(files, batchSize))[Symbol.asyncIterator]();
  // Translate (on a worker thread) and encode the next batch while the current one is at the database.
  let next = batches.next();
  try {
    for (;;) {
      const current = await next;
      if (current.done) break;
      next = batches.next();
      // A read error surfaces at the next await; until then it must not count as unhandled.
      next.catch(() => {});
      const { batch, bodies } = current.value;
      const results = await replayBatch(store, engine, batch, bodies);
      for (const [i, line] of batch.entries()) {
        const result = results[i] as LineResult;
        tally(counts, result);
        onLine(line, result);
      }
    }
  } finally {
    // A replay that stops early (a database error) stops the translation thread too.
    await batches.return(undefined).catch(() => {});
  }
  return counts;
}

/** Batches with their lines encoded for the inbox, as each batch is read. */
async function* encoded(
  batches: AsyncIterable<TranslatedLine[]>,
): AsyncGenerator<{ batch: TranslatedLine[]; bodies: EncodedBody[] }> {
  for await (const batch of batches) yield { batch, bodies: batch.map((line) => encodeBody(line.raw)) };
}

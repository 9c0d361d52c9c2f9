import { Engine, type PolicyBook } from '@callpermit/core';
import { emptyCounts, type LineResult, type ReplayCounts, replayBatch, tally } from '@callpermit/service';
import { type EncodedBody, encodeBody, type SqlStore } from '@callpermit/store';
import type { TranslatedLine } from './capture.js';
import { translateOffThread } from './translationThread.js';

export type { ReplayCounts } from '@callpermit/service';

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

import {
  type BusinessInvalidation,
  type Checkpoint,
  Engine,
  type Fact,
  type FactRange,
  type FactStore,
  type FoldPosition,
  type PolicyBook,
  type RecordedFact,
  type StoredHead,
  type StreamCommit,
} from '@callpermit/core';
import {
  type BatchUnit,
  emptyCounts,
  type LineResult,
  type ReplayCounts,
  replayBatch,
  tally,
} from '@callpermit/service';
import type { EncodedBody, SqlStore } from '@callpermit/store';
import type { TranslatedLine } from './capture.js';
import { translateOffThread } from './translationThread.js';

export type { ReplayCounts } from '@callpermit/service';

/**
 * Lines per transaction of a replay (`replayCaptures`, bulk units of work). A transaction rewrites the head of
 * every pair its lines touch once, so fewer, larger ones write far fewer heads (docs/performance.md); the cost
 * is memory (two batches: the one at the database and the next, translated meanwhile) and the commit lock,
 * held while the batch's facts and heads are written (docs/cli.md).
 */
export const BULK_REPLAY_LINES = 32_000;

/** What a replay did: the line counts `--json` prints, and the fact rows it stored. */
export interface ReplayTotals extends ReplayCounts {
  facts: number;
}

/**
 * Streams capture files into a store in batched bulk transactions (`SqlStore.bulkIngest`); `onLine` sees each
 * line, what became of it and its size in bytes (its newline included).
 */
export async function replayCaptures(
  store: SqlStore,
  files: readonly string[],
  policy: PolicyBook,
  onLine: (line: TranslatedLine, result: LineResult, bytes: number) => void = () => {},
  batchSize = BULK_REPLAY_LINES,
): Promise<ReplayTotals> {
  const totals: ReplayTotals = { ...emptyCounts(), facts: 0 };
  const engine = new Engine(store, { policy });
  const unit: BatchUnit = {
    atomically: (fn) =>
      store.bulkIngest((facts, inbox, settings) => {
        const counted = new CountedCommits(facts);
        return fn(counted, inbox, settings).then((result) => {
          totals.facts += counted.facts;
          return result;
        });
      }),
  };
  const batches = translateOffThread(files, batchSize)[Symbol.asyncIterator]();
  // Translate and encode the next batch (on a worker thread) while the current one is at the database.
  let next = batches.next();
  try {
    for (;;) {
      const current = await next;
      if (current.done) break;
      next = batches.next();
      // A read error surfaces at the next await; until then it must not count as unhandled.
      next.catch(() => {});
      const { lines, bodies } = current.value;
      const results = await replayBatch(unit, engine, lines, bodies);
      for (const [i, line] of lines.entries()) {
        const result = results[i] as LineResult;
        tally(totals, result);
        onLine(line, result, (bodies[i] as EncodedBody).size + 1);
      }
    }
  } finally {
    // A replay that stops early (a database error) stops the translation thread too.
    await batches.return(undefined).catch(() => {});
  }
  return totals;
}

/**
 * A unit of work's FactStore that counts the facts its commits stored (a commit that lost to another writer
 * and was rolled back does not count).
 */
class CountedCommits implements FactStore {
  facts = 0;

  constructor(private readonly store: FactStore) {}

  knownKeys(keys: readonly string[]): Promise<ReadonlySet<string>> {
    return this.store.knownKeys(keys);
  }

  factsByKey(keys: readonly string[]): Promise<ReadonlyMap<string, Fact>> {
    return this.store.factsByKey(keys);
  }

  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.store.exclusive(key, fn);
  }

  heads(
    streams: readonly string[],
    cached?: ReadonlyMap<string, StoredHead>,
  ): Promise<ReadonlyMap<string, StoredHead>> {
    return this.store.heads(streams, cached);
  }

  checkpointBefore(stream: string, position: FoldPosition): Promise<Checkpoint | undefined> {
    return this.store.checkpointBefore(stream, position);
  }

  factsOf(stream: string, range?: FactRange): Promise<Fact[]> {
    return this.store.factsOf(stream, range);
  }

  async commit(
    commits: readonly StreamCommit[],
    invalidations?: readonly BusinessInvalidation[],
  ): Promise<ReadonlyMap<string, StoredHead>> {
    const written = await this.store.commit(commits, invalidations);
    for (const c of commits) this.facts += c.facts.length;
    return written;
  }

  streams(): Promise<string[]> {
    return this.store.streams();
  }

  readAll(after: number, limit: number): Promise<RecordedFact[]> {
    return this.store.readAll(after, limit);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

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
import type { EncodedBody, InboxDelivery, InboxReceipt, SqlStore } from '@callpermit/store';
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

import { totalmem } from 'node:os';
import {
  type BusinessInvalidation,
  type ChangeRange,
  type Checkpoint,
  Engine,
  type Fact,
  type FactRange,
  type FactStore,
  type FoldPosition,
  type Instant,
  type PairChange,
  type PolicyBook,
  type RecordedFact,
  type StoredChange,
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
import { type EncodedBatch, translateOffThread } from './translationThread.js';

export type { ReplayCounts } from '@callpermit/service';

/**
 * Lines per transaction of a replay (`replayCaptures`, bulk units of work). A transaction rewrites the head of
 * every pair its lines touch once, so fewer, larger ones write far fewer heads (docs/performance.md); the cost
 * is memory (two batches: the one at the database and the next, translated meanwhile) and the commit lock,
 * held while the batch's facts and heads are written (docs/cli.md).
 */
export const BULK_REPLAY_LINES = 32_000;

/**
 * The embedded database's buffer cache for a replay (`callpermit replay --cache-mb`, default): a quarter of the
 * machine's memory, from 128 MB (PostgreSQL's default, what every other command uses) up to 768 MB. A replay's
 * tables and their keys (the inbox's hash, the facts' key, the outbox's id: random, so every batch touches pages
 * all over them) outgrow 128 MB within a few hundred thousand lines; past that each batch reads and writes those
 * pages through the file system. At 1M lines, 768 MB made the replay about a fifth faster (docs/performance.md).
 * The cost is memory: PGlite takes the whole cache when it opens.
 */
export const REPLAY_CACHE_MB = { share: 0.25, least: 128, most: 768 } as const;

/** `REPLAY_CACHE_MB` for a machine with `memoryBytes` of memory, in whole megabytes. */
export function replayCacheMb(memoryBytes: number = totalmem()): number {
  const share = Math.floor((memoryBytes * REPLAY_CACHE_MB.share) / 2 ** 20);
  return Math.min(REPLAY_CACHE_MB.most, Math.max(REPLAY_CACHE_MB.least, share));
}

/** What a replay did: the line counts `--json` prints, the fact rows it stored and the changes it told. */
export interface ReplayTotals extends ReplayCounts {
  facts: number;
  /** Changes the replay's commits carried to the outbox (the change feed; docs/changes.md). */
  changes: number;
}

export interface ReplayOptions {
  /** Lines per transaction (default BULK_REPLAY_LINES). */
  readonly batchLines?: number;
  /**
   * Whether the replay writes the change feed's outbox with its facts (default true: every writer of a store
   * keeps the feed, so `serve`'s subscribers miss nothing; off only to measure what it costs).
   */
  readonly changeFeed?: boolean;
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
  options: ReplayOptions = {},
): Promise<ReplayTotals> {
  const batchSize = options.batchLines ?? BULK_REPLAY_LINES;
  const totals: ReplayTotals = { ...emptyCounts(), facts: 0, changes: 0 };
  const engine = new Engine(store, { policy, changeFeed: options.changeFeed ?? true });
  const batches = translateOffThread(files, batchSize)[Symbol.asyncIterator]();
  // The worker translates and encodes the next batch while this one's commit is at the database: it is asked
  // once the engine is done folding (it commits, or finds every fact held), not as the batch starts. Asked
  // earlier, it competed with the fold and with the database storing the inbox lines for the machine's cores,
  // and left them idle during the commit (docs/performance.md, session 12).
  let next: Promise<IteratorResult<EncodedBatch>> | undefined;
  const askNext = () => {
    if (next !== undefined) return;
    next = batches.next();
    // A read error surfaces at the next await; until then it must not count as unhandled.
    next.catch(() => {});
  };
  const unit: BatchUnit = {
    atomically: (fn) =>
      store.bulkIngest((facts, inbox, settings) => {
        const counted = new CountedCommits(facts, askNext);
        return fn(counted, inbox, settings).then((result) => {
          totals.facts += counted.facts;
          totals.changes += counted.changes;
          return result;
        });
      }),
  };
  try {
    for (;;) {
      askNext();
      const current = await (next as Promise<IteratorResult<EncodedBatch>>);
      next = undefined;
      if (current.done) break;
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
 * and was rolled back does not count), and calls `folded` once the engine is done folding: as it commits, or
 * when its reads show every fact held already (nothing to fold or commit).
 */
class CountedCommits implements FactStore {
  facts = 0;
  changes = 0;

  constructor(
    private readonly store: FactStore,
    private readonly folded: () => void,
  ) {}

  knownKeys(keys: readonly string[]): Promise<ReadonlySet<string>> {
    return this.store.knownKeys(keys);
  }

  async factsByKey(keys: readonly string[]): Promise<ReadonlyMap<string, Fact>> {
    const held = await this.store.factsByKey(keys);
    // Every fact held already (a file replayed again, a resumed replay): the engine will commit nothing.
    if (held.size === keys.length) this.folded();
    return held;
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
    this.folded();
    const written = await this.store.commit(commits, invalidations);
    for (const c of commits) {
      this.facts += c.facts.length;
      this.changes += c.changes?.length ?? 0;
    }
    return written;
  }

  streams(): Promise<string[]> {
    return this.store.streams();
  }

  readAll(after: number, limit: number): Promise<RecordedFact[]> {
    return this.store.readAll(after, limit);
  }

  readChanges(after: number, limit: number, businesses?: readonly string[]): Promise<StoredChange[]> {
    return this.store.readChanges(after, limit, businesses);
  }

  changesOf(ranges: readonly ChangeRange[]): Promise<ReadonlyMap<string, PairChange[]>> {
    return this.store.changesOf(ranges);
  }

  dueStreams(now: Instant, limit: number): Promise<string[]> {
    return this.store.dueStreams(now, limit);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

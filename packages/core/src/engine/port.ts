import type { FoldPosition } from '../domain/factOrder.js';
import type { Fact } from '../domain/facts.js';
import type { Instant } from '../domain/time.js';
import type { PairChange } from '../feed/pairChanges.js';
import type { PairState } from '../state/pairState.js';

/** A fact as the log holds it: its stream, its place in the stream (arrival order) and in the whole log. */
export interface RecordedFact {
  readonly stream: string;
  readonly version: number;
  readonly position: number;
  readonly fact: Fact;
}

/** The head of a stream: its version and its state folded through every fact it holds. O(1) to read. */
export interface StoredHead {
  readonly stream: string;
  /** Facts appended to the stream (the optimistic-concurrency version). */
  readonly version: number;
  /** Folded pair state; null for business streams. */
  readonly state: PairState | null;
  /** Set when a business-level fact changed history from this instant: the state must be re-folded. */
  readonly staleFrom: Instant | null;
  /**
   * Changes whenever anything above changes, and is never given twice, not even after a write that rolled
   * back: whoever holds a head of the same revision holds this very head (see `heads(…, cached)`).
   */
  readonly revision: number;
  /**
   * The change feed: the instant through which the pair's changes are in the outbox (null: the feed does not
   * follow this stream, or starts again from its last fact at its next commit)…
   */
  readonly changesUntil: Instant | null;
  /** …and the next instant time alone changes the pair's view after it (null: never). Indexed: `dueStreams`. */
  readonly nextChangeAt: Instant | null;
}

/** A change as the outbox holds it: with its place in the global order, which a subscriber's cursor names. */
export type StoredChange = PairChange & { readonly seq: number };

/** The outbox rows of `stream` at or after `from` (all of them when null). */
export interface ChangeRange {
  readonly stream: string;
  readonly from: Instant | null;
}

/** A pair state after the fact at `position`: a late fact re-folds from the last checkpoint before it. */
export interface Checkpoint {
  readonly position: FoldPosition;
  readonly state: PairState;
}

/** Everything one stream gains in one commit. */
export interface StreamCommit {
  readonly stream: string;
  /** The version the decision was made on: another writer having appended since is a ConcurrencyError. */
  readonly expectedVersion: number;
  /**
   * The head's revision the decision was made on, when the stream had a head: any change of the head since
   * (a re-fold, or a business fact marking it stale, which leave the version as it was) is a ConcurrencyError.
   */
  readonly expectedRevision?: number;
  /** New facts, in arrival order. Their keys are new: a key the log holds already is a DuplicateFactError. */
  readonly facts: readonly Fact[];
  readonly state: PairState | null;
  readonly checkpoints: readonly Checkpoint[];
  /** Checkpoints at or after this position are out of date (a re-fold): drop them before adding the new. */
  readonly dropCheckpointsFrom?: FoldPosition;
  /**
   * The change feed's outbox rows, written in the same transaction as the facts, each given the next global
   * sequence number in this order; an id the outbox holds already is not stored again. Absent with
   * `changesUntil`: the feed does not follow this commit, and the head's feed columns are cleared.
   */
  readonly changes?: readonly PairChange[];
  /** The head's `changesUntil` and `nextChangeAt` after this commit (see StoredHead). */
  readonly changesUntil?: Instant;
  readonly nextChangeAt?: Instant | null;
  /** The state is the head's as stored (a materialisation: no fact, no re-fold): the store need not write it. */
  readonly keepState?: boolean;
}

/** A business-level fact at `from` changes the fold of every pair of `business` from that instant on. */
export interface BusinessInvalidation {
  readonly business: string;
  readonly from: Instant;
}

export interface FactRange {
  /** Only facts after this position in fact order. */
  readonly after?: FoldPosition;
  /** Only facts at or before this instant. */
  readonly until?: Instant;
}

/**
 * The storage port. The in-memory store, PGlite and PostgreSQL implement it and pass one contract suite.
 * `commit` is atomic across all its streams: all of it is stored, or none.
 */
export interface FactStore {
  /** The idempotency keys among these that the log already holds. */
  knownKeys(keys: readonly string[]): Promise<ReadonlySet<string>>;
  /**
   * The facts the log holds under these keys, by key (absent: no such key): the engine compares them with the
   * facts given again, to tell a duplicate from a conflict. Facts come back as stored (JSON: no property set
   * to `undefined`).
   */
  factsByKey(keys: readonly string[]): Promise<ReadonlyMap<string, Fact>>;
  /**
   * The heads of these streams (absent: no such stream). A head in `cached` whose revision is still the
   * stored one comes back as that same object: the store need not read or decode its state again.
   */
  heads(
    streams: readonly string[],
    cached?: ReadonlyMap<string, StoredHead>,
  ): Promise<ReadonlyMap<string, StoredHead>>;
  /** The latest checkpoint strictly before `position` in fact order. */
  checkpointBefore(stream: string, position: FoldPosition): Promise<Checkpoint | undefined>;
  /** The stream's facts in fact order (`compareFacts`). */
  factsOf(stream: string, range?: FactRange): Promise<Fact[]>;
  /** Returns the heads the commits wrote (the invalidated heads of other streams are not among them). */
  commit(
    commits: readonly StreamCommit[],
    invalidations?: readonly BusinessInvalidation[],
  ): Promise<ReadonlyMap<string, StoredHead>>;
  /** Every stream id, in no particular order. */
  streams(): Promise<string[]>;
  /** The log in global order, for projections and export: facts with position > `after`. */
  readAll(after: number, limit: number): Promise<RecordedFact[]>;
  /**
   * The change feed's outbox in global order: changes with `seq` > `after`, at most `limit`, only of these
   * businesses when given. Sequence numbers grow in commit order (gaps allowed): page by the last one seen.
   */
  readChanges(after: number, limit: number, businesses?: readonly string[]): Promise<StoredChange[]>;
  /** For each range, the stream's outbox rows (retractions included) at or after its instant, in `seq` order. */
  changesOf(ranges: readonly ChangeRange[]): Promise<ReadonlyMap<string, PairChange[]>>;
  /**
   * Pair streams whose head's `nextChangeAt` is at or before `now`, earliest first, at most `limit`: read by
   * an index, so the cost follows the number due, not the number of pairs. (The SQL stores' index may hold an
   * earlier instant for a head; this look corrects it, so the answer is exact.)
   */
  dueStreams(now: Instant, limit: number): Promise<string[]>;
  /**
   * Runs `fn` while no other caller holds `key`, across every engine and process sharing this log, and
   * releases the key when `fn` settles (or when the process holding it dies). `Engine.attempt` holds a pair
   * with it from its decision until the outcome is recorded. Waiters on one key are served in turn; other
   * keys do not wait. Not reentrant: `fn` must not ask for the key it holds.
   */
  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Another writer appended to the stream since it was read: read again and decide again. */
export class ConcurrencyError extends Error {
  /**
   * `actual` is the version found. When it is the expected one, the head itself changed since it was read
   * (re-folded, or marked stale by a business fact): `headChanged` says so, and so does the message.
   */
  constructor(
    readonly stream: string,
    readonly expected: number,
    readonly actual: number,
    readonly headChanged = false,
  ) {
    super(
      headChanged
        ? `stream ${stream}: at version ${expected} as expected, but its head changed since it was read (re-folded or marked stale)`
        : `stream ${stream}: expected version ${expected}, found ${actual}`,
    );
    this.name = 'ConcurrencyError';
  }
}

/** A fact with this idempotency key is in the log already (a concurrent writer stored it first). */
export class DuplicateFactError extends Error {
  constructor(readonly key: string) {
    super(`a fact with key ${key} is in the log already`);
    this.name = 'DuplicateFactError';
  }
}

// The change feed in the engine: every pair stream commit carries the changes of the pair's view its facts
// (or time, or a re-fold) caused, computed while folding, so they commit with the facts in one transaction
// (an outbox). A commit that extends what was told walks on from the head's `changesUntil`; one that rewrites
// a stretch already told (a late fact, a business setting that changed the past, a replay) walks the stretch
// again and tells the difference with what the outbox holds (feed/corrections.ts).
import type { FoldPosition } from '../domain/factOrder.js';
import type { PairFact } from '../domain/facts.js';
import type { Pair } from '../domain/pair.js';
import type { Instant } from '../domain/time.js';
import { corrections } from '../feed/corrections.js';
import { type ChangeCause, ChangeWalk, nextChangeAt, type PairChange } from '../feed/pairChanges.js';
import type { RuleEnv } from '../rules/businessSettings.js';
import type { PairState } from '../state/pairState.js';
import type { PairView } from '../views/pairView.js';
import type { ChangeRange, FactStore, StoredHead, StreamCommit } from './port.js';

/** What a stream commit's feed starts from, decided before any fold. */
export interface FeedPlan {
  /** The instant through which the outbox holds the pair's changes (-Infinity: nothing yet). */
  readonly after: Instant;
  /**
   * Set when the commit rewrites what was told: the first instant whose view may change (-Infinity: the whole
   * history, for a stream with no head). The fold must then start from a state with no fact of this instant.
   */
  readonly rewriteFrom?: Instant;
  /** With `rewriteFrom`: what the outbox holds for the stream from then on (retractions included). */
  readonly told: readonly PairChange[];
}

/**
 * Where the feed of a commit on a pair stream starts: a stream with no head may have been told before (a
 * rebuild keeps the outbox), so it rewrites from the start; one whose new facts come at or after what was
 * told, and need no re-fold, extends it; otherwise it rewrites from the earliest instant touched (`refoldFrom`,
 * where the fold goes back to, or the first new fact if it comes before `changesUntil`). A head the feed does
 * not follow (`changesUntil` null) starts again from its last fact.
 */
export function planFeed(
  head: StoredHead | undefined,
  first: PairFact | undefined,
  refoldFrom: FoldPosition | undefined,
): { after: Instant; rewriteFrom?: Instant } {
  if (!head?.state) return { after: Number.NEGATIVE_INFINITY, rewriteFrom: Number.NEGATIVE_INFINITY };
  const after = head.changesUntil ?? head.state.last?.at ?? Number.NEGATIVE_INFINITY;
  let from = refoldFrom?.at;
  if (first !== undefined && first.at < after) from = Math.min(from ?? first.at, first.at);
  return from === undefined ? { after } : { after, rewriteFrom: from };
}

/** The outbox rows a rewrite from `from` compares with. */
export async function toldFrom(store: FactStore, stream: string, from: Instant): Promise<PairChange[]> {
  const found = await store.changesOf([rangeOf(stream, from)]);
  return found.get(stream) ?? [];
}

const rangeOf = (stream: string, from: Instant): ChangeRange => ({
  stream,
  from: Number.isFinite(from) ? from : null,
});

/** Reads what the outbox told of a stream from an instant on (`toldFrom`), for the feed of a fold. */
export type ToldReader = (stream: string, from: Instant) => Promise<PairChange[]>;

/**
 * A `ToldReader` that asks the store once for every stream asked for in the same turn (an ingest starts the
 * reads of all its streams at once): one statement per commit rather than one per rewritten stream. The same
 * stream asked for again in the turn from another instant is read on its own.
 */
export function toldReader(store: FactStore): ToldReader {
  type Asked = { readonly from: Instant; readonly answers: ((told: Promise<PairChange[]>) => void)[] };
  let turn: Map<string, Asked> | undefined;
  return (stream, from) => {
    const asked = turn?.get(stream);
    if (asked !== undefined && asked.from !== from) return toldFrom(store, stream, from);
    if (turn === undefined) {
      const batch = new Map<string, Asked>();
      turn = batch;
      queueMicrotask(() => {
        turn = undefined;
        const found = store.changesOf([...batch].map(([s, a]) => rangeOf(s, a.from)));
        for (const [s, a] of batch)
          for (const answer of a.answers) answer(found.then((told) => told.get(s) ?? []));
      });
    }
    const entry = asked ?? { from, answers: [] };
    turn.set(stream, entry);
    return new Promise<PairChange[]>((resolve) => entry.answers.push(resolve));
  };
}

/**
 * The feed's walk beside one stream commit's fold: `before` and `after` around each fact folded (facts before
 * the rewritten stretch are folded without a look), then `commit` for what the stream commit carries.
 */
export class FeedFold {
  private readonly walk: ChangeWalk;

  constructor(
    pair: Pair,
    private readonly env: RuleEnv,
    private readonly plan: FeedPlan,
    /** The head's state when the fold extends it (the walk starts there). */
    start: PairState | undefined,
  ) {
    const from = plan.rewriteFrom;
    this.walk = new ChangeWalk(pair, env, from === undefined ? plan.after : from - 1);
    if (from === undefined && start !== undefined) this.walk.start(start);
  }

  before(state: PairState, fact: PairFact): void {
    if (!this.walk.started) {
      if (fact.at < (this.plan.rewriteFrom ?? Number.NEGATIVE_INFINITY)) return;
      this.walk.start(state);
    }
    this.walk.before(state, fact);
  }

  after(state: PairState, fact: PairFact): void {
    if (this.walk.started) this.walk.after(state, fact);
  }

  /**
   * What the stream commit carries once every fact is folded into `state`: the changes through `until` (at
   * least through every fact and everything told; time changes up to it), the new `changesUntil` and
   * `nextChangeAt`. A rewrite carries corrections against what was told, with `cause`.
   */
  commit(
    state: PairState,
    until: Instant,
    cause: ChangeCause,
  ): Required<Pick<StreamCommit, 'changes' | 'changesUntil' | 'nextChangeAt'>> {
    let end = Math.max(until, this.plan.after, state.last?.at ?? Number.NEGATIVE_INFINITY);
    for (const c of this.plan.told) end = Math.max(end, c.at);
    this.walk.finish(state, end);
    const changes =
      this.plan.rewriteFrom === undefined
        ? this.walk.changes
        : corrections(this.plan.told, this.walk.changes, cause);
    // The walk's view at `end` is the view there: time changes it only at the instants the walk went through.
    const view = this.walk.current as PairView;
    return { changes, changesUntil: end, nextChangeAt: nextChangeAt(state, end, this.env, view) };
  }
}

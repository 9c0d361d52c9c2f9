// The checkpoint and re-fold strategy: where a stream's new facts fold from (its head, or the last checkpoint
// before a late fact), a state at any past instant (checkpoint + tail), and the checkpoints a fold leaves.
// Reads the store in `foldBase` and `stateAt` only; `foldOnto` folds without reading, so every read of an
// ingest can happen before any fold.
import {
  compareFacts,
  comparePositions,
  endOfInstant,
  type FoldPosition,
  positionOf,
  startOfInstant,
} from '../domain/factOrder.js';
import type { PairFact } from '../domain/facts.js';
import { type Pair, parseStreamId } from '../domain/pair.js';
import type { Instant } from '../domain/time.js';
import { type ChangeCause, factCause, REFOLD } from '../feed/pairChanges.js';
import type { RuleEnv } from '../rules/businessSettings.js';
import { evolve } from '../rules/evolve.js';
import { clonePairState, initialPairState, type PairState } from '../state/pairState.js';
import { FeedFold, type FeedPlan, planFeed, type ToldReader } from './feed.js';
import type { Checkpoint, FactStore, StoredHead, StreamCommit } from './port.js';

/**
 * What a commit expects of the head it was decided on: its version and, when there was one, its revision, so
 * a head re-folded or marked stale meanwhile (same version) makes the commit a conflict, not an overwrite.
 */
export function expectedOf(
  head: StoredHead | undefined,
): Pick<StreamCommit, 'expectedVersion' | 'expectedRevision'> {
  return head ? { expectedVersion: head.version, expectedRevision: head.revision } : { expectedVersion: 0 };
}

/** What a pair stream's new facts fold from: see `foldBase`. */
export interface FoldBase {
  /** The new facts in fact order. */
  readonly sorted: readonly PairFact[];
  /** Set when they do not all come after the head: re-fold from this checkpoint with the facts since. */
  readonly refold?: {
    readonly from: FoldPosition;
    readonly checkpoint: Checkpoint | undefined;
    readonly old: readonly PairFact[];
  };
  /** With the change feed: where its walk starts, and what the outbox told of a stretch it rewrites. */
  readonly feed?: FeedPlan;
}

/**
 * Where the facts `added` to a pair stream fold from: the head, when they all come after it; else the last
 * checkpoint before the earliest of them (a late fact, a head marked stale, or a business fact changing the
 * fold from `businessFrom`), with the stream's facts since then. With the change feed (`told`, how to read the
 * outbox), also where its walk starts and, for a rewrite of what it told, the outbox's rows from then on; a rewrite folds from
 * before every fact of its first instant (the view just before it is what was told). `added` may be empty (a
 * head made stale, re-folded by the materialiser).
 */
export async function foldBase(
  store: FactStore,
  stream: string,
  head: StoredHead | undefined,
  added: readonly PairFact[],
  businessFrom?: Instant,
  told?: ToldReader,
): Promise<FoldBase> {
  const sorted = [...added].sort(compareFacts);
  const first = sorted[0];
  const last = head?.state?.last ?? null;
  let from: FoldPosition | undefined;
  const earlier = (p: FoldPosition) => {
    if (!from || comparePositions(p, from) < 0) from = p;
  };
  if (head?.staleFrom != null) earlier(startOfInstant(head.staleFrom));
  if (businessFrom !== undefined && last && last.at >= businessFrom) earlier(startOfInstant(businessFrom));
  if (first && last && comparePositions(positionOf(first), last) < 0) earlier(positionOf(first));
  let plan: FeedPlan | undefined;
  if (told !== undefined) {
    const { after, rewriteFrom } = planFeed(head, first, from);
    if (rewriteFrom === undefined) plan = { after, told: [] };
    else {
      if (last && last.at >= rewriteFrom) earlier(startOfInstant(rewriteFrom));
      plan = { after, rewriteFrom, told: await told(stream, rewriteFrom) };
    }
  }
  const withFeed = plan === undefined ? {} : { feed: plan };
  if (from === undefined) return { sorted, ...withFeed };
  const checkpoint = await store.checkpointBefore(stream, from);
  const old = (await store.factsOf(stream, checkpoint ? { after: checkpoint.position } : {})) as PairFact[];
  return { sorted, refold: { from, checkpoint, old }, ...withFeed };
}

/**
 * The cause of a commit's corrections: its earliest new fact when the rewrite starts there, else a re-fold (a
 * business fact that changed the past, a replay).
 */
function rewriteCause(sorted: readonly PairFact[], plan: FeedPlan): ChangeCause {
  const first = sorted[0];
  return first !== undefined && first.at <= (plan.rewriteFrom ?? Number.NEGATIVE_INFINITY)
    ? factCause(first)
    : REFOLD;
}

/**
 * The commit that adds `added` to a pair stream, folded from `base` (see `foldBase`). With the feed (`base.feed`)
 * it carries the changes through `until` at least (the materialiser's now; an ingest's own facts go further),
 * and a commit with no fact and no re-fold keeps the head's state as stored.
 */
export function foldOnto(
  stream: string,
  base: FoldBase,
  head: StoredHead | undefined,
  added: readonly PairFact[],
  env: RuleEnv,
  checkpointEvery: number,
  until: Instant = Number.NEGATIVE_INFINITY,
): StreamCommit {
  const pair = parseStreamId(stream);
  const expected = expectedOf(head);
  if (base.refold === undefined && base.sorted.length === 0 && head?.state && base.feed) {
    const feed = new FeedFold(pair, env, base.feed, head.state);
    const carried = feed.commit(head.state, until, REFOLD);
    return {
      stream,
      ...expected,
      facts: [],
      state: head.state,
      checkpoints: [],
      keepState: true,
      ...carried,
    };
  }
  let start: PairState;
  let tail: readonly PairFact[];
  let from: FoldPosition | undefined;
  if (base.refold === undefined) {
    start = head?.state ? clonePairState(head.state) : initialPairState(pair.business, pair.user);
    tail = base.sorted;
  } else {
    const { checkpoint, old } = base.refold;
    from = base.refold.from;
    tail = [...old, ...base.sorted].sort(compareFacts);
    start = checkpoint ? clonePairState(checkpoint.state) : initialPairState(pair.business, pair.user);
  }
  const feed = base.feed && new FeedFold(pair, env, base.feed, base.refold === undefined ? start : undefined);
  const { state, checkpoints } = foldWithCheckpoints(start, tail, env, checkpointEvery, from, feed);
  const commit: StreamCommit = {
    stream,
    ...expected,
    facts: added,
    state,
    checkpoints,
    ...(from === undefined ? {} : { dropCheckpointsFrom: from }),
  };
  return feed
    ? { ...commit, ...feed.commit(state, until, rewriteCause(base.sorted, base.feed as FeedPlan)) }
    : commit;
}

/** What watches a fold fact by fact (the change feed's walk). */
export interface FoldObserver {
  before(state: PairState, fact: PairFact): void;
  after(state: PairState, fact: PairFact): void;
}

/**
 * Folds in place (the state is the caller's), taking a checkpoint every `checkpointEvery` facts, only at or
 * after `from` when given (the checkpoints before it are still good).
 */
export function foldWithCheckpoints(
  state: PairState,
  facts: readonly PairFact[],
  env: RuleEnv,
  checkpointEvery: number,
  from?: FoldPosition,
  observer?: FoldObserver,
): { state: PairState; checkpoints: Checkpoint[] } {
  const checkpoints: Checkpoint[] = [];
  for (const fact of facts) {
    observer?.before(state, fact);
    evolve(state, fact, env);
    observer?.after(state, fact);
    if (state.factCount % checkpointEvery === 0 && state.last) {
      if (!from || comparePositions(state.last, from) >= 0) {
        checkpoints.push({ position: { ...state.last }, state: clonePairState(state) });
      }
    }
  }
  return { state, checkpoints };
}

/**
 * The pair's state at `at`, from its head: the head's own (shared, never to be mutated) when it is current and
 * `copy` is false, else a state of the caller's, folded from the last checkpoint before `at` (or before the
 * instant the head went stale) with the facts since.
 */
export async function stateAt(
  store: FactStore,
  stream: string,
  pair: Pair,
  head: StoredHead | undefined,
  at: Instant,
  env: RuleEnv,
  copy: boolean,
): Promise<PairState> {
  const state = head?.state;
  if (!state) return initialPairState(pair.business, pair.user);
  if (head.staleFrom === null && (state.last === null || at >= state.last.at))
    return copy ? clonePairState(state) : state;
  const bound =
    head.staleFrom !== null && head.staleFrom <= at ? startOfInstant(head.staleFrom) : endOfInstant(at);
  const cp = await store.checkpointBefore(stream, bound);
  const range = cp ? { after: cp.position, until: at } : { until: at };
  const tail = (await store.factsOf(stream, range)) as PairFact[];
  const base = cp ? clonePairState(cp.state) : initialPairState(pair.business, pair.user);
  for (const f of tail) evolve(base, f, env);
  return base;
}

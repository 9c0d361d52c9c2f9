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
import type { RuleEnv } from '../rules/businessSettings.js';
import { evolve } from '../rules/evolve.js';
import { clonePairState, initialPairState, type PairState } from '../state/pairState.js';
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
}

/**
 * Where the facts `added` to a pair stream fold from: the head, when they all come after it; else the last
 * checkpoint before the earliest of them (a late fact, a head marked stale, or a business fact changing the
 * fold from `businessFrom`), with the stream's facts since then.
 */
export async function foldBase(
  store: FactStore,
  stream: string,
  head: StoredHead | undefined,
  added: readonly PairFact[],
  businessFrom?: Instant,
): Promise<FoldBase> {
  const sorted = [...added].sort(compareFacts);
  const first = sorted[0] as PairFact;
  const last = head?.state?.last ?? null;
  let from: FoldPosition | undefined;
  const earlier = (p: FoldPosition) => {
    if (!from || comparePositions(p, from) < 0) from = p;
  };
  if (head?.staleFrom != null) earlier(startOfInstant(head.staleFrom));
  if (businessFrom !== undefined && last && last.at >= businessFrom) earlier(startOfInstant(businessFrom));
  if (last && comparePositions(positionOf(first), last) < 0) earlier(positionOf(first));
  if (from === undefined) return { sorted };
  const checkpoint = await store.checkpointBefore(stream, from);
  const old = (await store.factsOf(stream, checkpoint ? { after: checkpoint.position } : {})) as PairFact[];
  return { sorted, refold: { from, checkpoint, old } };
}

/** The commit that adds `added` to a pair stream, folded from `base` (see `foldBase`). */
export function foldOnto(
  stream: string,
  base: FoldBase,
  head: StoredHead | undefined,
  added: readonly PairFact[],
  env: RuleEnv,
  checkpointEvery: number,
): StreamCommit {
  const { business, user } = parseStreamId(stream);
  if (base.refold === undefined) {
    const start = head?.state ? clonePairState(head.state) : initialPairState(business, user);
    const { state, checkpoints } = foldWithCheckpoints(start, base.sorted, env, checkpointEvery);
    return { stream, ...expectedOf(head), facts: added, state, checkpoints };
  }
  const { from, checkpoint, old } = base.refold;
  const tail = [...old, ...base.sorted].sort(compareFacts);
  const start = checkpoint ? clonePairState(checkpoint.state) : initialPairState(business, user);
  const { state, checkpoints } = foldWithCheckpoints(start, tail, env, checkpointEvery, from);
  return { stream, ...expectedOf(head), facts: added, state, checkpoints, dropCheckpointsFrom: from };
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
): { state: PairState; checkpoints: Checkpoint[] } {
  const checkpoints: Checkpoint[] = [];
  for (const fact of facts) {
    evolve(state, fact, env);
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

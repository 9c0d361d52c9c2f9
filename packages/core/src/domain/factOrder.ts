// The order facts apply in: instant, then a rank by type, then key. The fold, the stores and the checkpoints
// all speak of places in this order (positions), so a pair's state is a function of the set of its facts.
import type { Fact, FactType } from './facts.js';
import type { Instant } from './time.js';

/**
 * Facts of one instant apply in this order: what a message is comes before what happened to it, and
 * outcomes before Meta's observation of them.
 */
const RANK: Record<FactType, number> = {
  CallbackSettingChanged: 0,
  CallingSettingChanged: 0,
  TemplateKnown: 0,
  RequestSent: 1,
  RequestDelivered: 2,
  RequestRead: 3,
  RequestFailed: 4,
  UserMessaged: 5,
  UserCalled: 5,
  CallAttempted: 6,
  CallConnected: 7,
  CallRejected: 8,
  CallUnanswered: 9,
  PermissionGranted: 10,
  PermissionDeclined: 11,
  PermissionRevoked: 12,
  PermissionObserved: 13,
};

const LAST_RANK = Math.max(...Object.values(RANK));

/** A place in the fact order: a fact's own (its instant, rank and key), or a bound between facts. */
export interface FoldPosition {
  at: Instant;
  rank: number;
  key: string;
}

/** A fact's rank among the facts of its instant. The stores keep it as a column, to read facts in order. */
export function factRank(type: FactType): number {
  return RANK[type];
}

export function positionOf(fact: Fact): FoldPosition {
  return { at: fact.at, rank: RANK[fact.type], key: fact.key };
}

/** The position before every fact of the instant `at`: a re-fold from `at` starts here. */
export function startOfInstant(at: Instant): FoldPosition {
  return { at, rank: -1, key: '' };
}

/** The position after every fact of the instant `at`: a query at `at` sees every fact of that second. */
export function endOfInstant(at: Instant): FoldPosition {
  return { at, rank: LAST_RANK + 1, key: '' };
}

/** The one order, on its three parts. */
function order(aAt: Instant, aRank: number, aKey: string, bAt: Instant, bRank: number, bKey: string): number {
  return aAt - bAt || aRank - bRank || (aKey < bKey ? -1 : aKey > bKey ? 1 : 0);
}

/** Total order on facts: instant, then rank, then key. */
export function compareFacts(a: Fact, b: Fact): number {
  return order(a.at, RANK[a.type], a.key, b.at, RANK[b.type], b.key);
}

/** The same order on positions. */
export function comparePositions(a: FoldPosition, b: FoldPosition): number {
  return order(a.at, a.rank, a.key, b.at, b.rank, b.key);
}

import { produce } from 'immer';
import type { Instant } from '../domain/time.js';

/** One rolling-window limit: at most `maxAllowed` in any `periodSeconds`. */
export interface WindowLimit {
  readonly periodSeconds: number;
  readonly maxAllowed: number;
}

/**
 * Every number Meta enforces, as data. Defaults come from the seed ("Obtain User Call Permissions", Nov 2025);
 * Meta has changed them over time (5 → 10 → 100 connected calls a day), so a history can carry eras.
 */
export interface Policy {
  /** A temporary grant lasts this long from the user's approval (7 × 86400 s). */
  readonly temporaryGrantSeconds: number;
  /** Permission requests per pair, free-form and template combined; reset by any connected call. */
  readonly requestLimits: readonly WindowLimit[];
  /** Connected business-initiated calls per pair. */
  readonly connectedCallLimits: readonly WindowLimit[];
  /** Consecutive unanswered-or-rejected business calls that make WhatsApp ask the user to reconsider. */
  readonly unansweredReconsiderAt: number;
  /** Consecutive unanswered-or-rejected business calls that revoke the permission automatically. */
  readonly unansweredRevokeAt: number;
  /** A request expires this long after it was answered, or after delivery when unanswered. */
  readonly requestExpirySeconds: number;
  /** A user message or call opens a customer-service window this long; free-form requests need one. */
  readonly customerServiceWindowSeconds: number;
  /**
   * How long a call that callpermit allowed (a `StartCall` decision) holds a place in the connected-call limit
   * before its outcome is known. Meta counts only connected calls; holding a place keeps concurrent callers
   * from all being allowed the last slot. Not in Meta's docs: callpermit's own choice.
   */
  readonly callAttemptHoldSeconds: number;
  /**
   * How long a pair's state keeps a request after it ended (expired, superseded, failed), so the state stays
   * small whatever the history's length; `requests` at an instant lists those that ended less than this long
   * before it. Not in Meta's docs: callpermit's own choice.
   */
  readonly requestHistorySeconds: number;
}

export const defaultPolicy: Policy = Object.freeze({
  temporaryGrantSeconds: 604800,
  requestLimits: Object.freeze([
    Object.freeze({ periodSeconds: 86400, maxAllowed: 1 }),
    Object.freeze({ periodSeconds: 604800, maxAllowed: 2 }),
  ]),
  connectedCallLimits: Object.freeze([Object.freeze({ periodSeconds: 86400, maxAllowed: 100 })]),
  unansweredReconsiderAt: 2,
  unansweredRevokeAt: 4,
  requestExpirySeconds: 604800,
  customerServiceWindowSeconds: 86400,
  callAttemptHoldSeconds: 120,
  requestHistorySeconds: 90 * 86400,
});

export type PolicyOverride = Partial<Policy>;

/** Values effective from an instant on (inclusive), for every business or for one. */
export interface PolicyEra {
  readonly from: Instant;
  readonly business?: string;
  readonly override: PolicyOverride;
}

/**
 * A base policy plus eras. The policy in force for a business at an instant is the base, then every era
 * with `from <= at` in `from` order, global eras before business-specific ones of the same instant.
 */
export interface PolicyBook {
  readonly base: Policy;
  readonly eras: readonly PolicyEra[];
}

export const defaultPolicyBook: PolicyBook = Object.freeze({ base: defaultPolicy, eras: Object.freeze([]) });

export function policyBook(base: PolicyOverride = {}, eras: readonly PolicyEra[] = []): PolicyBook {
  const sorted = [...eras].sort((a, b) => a.from - b.from || Number(!!a.business) - Number(!!b.business));
  return { base: withOverride(defaultPolicy, base), eras: sorted };
}

function withOverride(policy: Policy, override: PolicyOverride): Policy {
  return produce(policy, (draft) => {
    Object.assign(draft, override);
  });
}

/** A resolver bound to one business: the fold asks it for the policy at each instant it reasons about. */
export type PolicyAt = (at: Instant) => Policy;

export function policyFor(book: PolicyBook, business: string): PolicyAt {
  const eras = book.eras.filter((e) => e.business === undefined || e.business === business);
  if (eras.length === 0) return () => book.base;
  // Precompute the policy of each era boundary once; lookups are then a short scan.
  const steps: { from: Instant; policy: Policy }[] = [];
  let current = book.base;
  for (const era of eras) {
    current = withOverride(current, era.override);
    const last = steps[steps.length - 1];
    if (last && last.from === era.from) last.policy = current;
    else steps.push({ from: era.from, policy: current });
  }
  return (at) => {
    let found = book.base;
    for (const step of steps) {
      if (step.from > at) break;
      found = step.policy;
    }
    return found;
  };
}

// The instants time alone may change an answer about a pair: what a timeline, a comparison of policies and
// the change feed ask at, besides the facts themselves.
import type { Instant } from '../domain/time.js';
import { permissionCanExpire } from '../machines/lifecycleTable.js';
import type { RuleEnv } from '../rules/businessSettings.js';
import type { PairState } from '../state/pairState.js';

/**
 * The instants in (`after`, `until`] at which time alone may change an answer about the pair, with no new
 * fact: the permission's expiry, a request's expiry, a counted send or connected call leaving a limit's
 * window, an allowed call's hold running out, the customer-service window closing. Between two of them (and
 * between facts) `callPermissions`, `requests` and `decide` answer the same, so a timeline or a comparison
 * of two policies need only ask at facts and at these. Policy eras starting in the range are the caller's
 * to add (they are the PolicyBook's, not the pair's). Ascending, without repeats.
 */
export function changeInstants(state: PairState, after: Instant, until: Instant, env: RuleEnv): Instant[] {
  const policy = env.policyAt(after);
  const found = new Set<Instant>();
  const add = (t: Instant | null) => {
    if (t !== null && t > after && t <= until) found.add(t);
  };
  if (permissionCanExpire(state.permission.status)) add(state.permission.expiresAt);
  for (const rec of state.requests.values()) if (!rec.tentative) add(rec.expiresAt);
  for (const limit of policy.requestLimits) for (const s of state.sends) add(s + limit.periodSeconds);
  for (const limit of policy.connectedCallLimits)
    for (const s of state.connectedCalls) add(s + limit.periodSeconds);
  for (const call of state.calls.values())
    if (call.outcome === null && call.attemptedAt !== null)
      add(call.attemptedAt + policy.callAttemptHoldSeconds);
  if (state.lastUserActivityAt !== null) add(state.lastUserActivityAt + policy.customerServiceWindowSeconds);
  return [...found].sort((a, b) => a - b);
}

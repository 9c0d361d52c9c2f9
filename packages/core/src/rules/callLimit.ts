// Connected calls and the call limit. "Your business can make a maximum of 100 connected calls every 24 hours"
// (permanent permissions "have the same connected calls limit"). Only business-initiated calls the user picked
// up count; a call callpermit allowed (StartCall → CallAttempted) holds a place until its outcome is known or
// for `callAttemptHoldSeconds`, so concurrent callers cannot all take the last place (callpermit's choice).
// Evolve: the calls of a pair and their connection. Decide: 138012 with its retryAt.
import { ErrorCode, type Refusal, refuse } from '../domain/commands.js';
import type { CallAttempted, CallConnected } from '../domain/facts.js';
import type { Instant } from '../domain/time.js';
import {
  exhausted,
  insertSorted,
  type LimitUse,
  limitUse,
  removeOne,
  retryAfterLimits,
} from '../domain/windows.js';
import type { Policy } from '../policy/policy.js';
import type { CallRecord, PairState } from '../state/pairState.js';

/** The record of a call id, made on the first fact that names it. */
export function callRecord(
  state: PairState,
  id: string,
  direction: CallRecord['direction'],
  at: Instant,
): CallRecord {
  let call = state.calls.get(id);
  if (!call) {
    call = {
      direction,
      seenAt: at,
      attemptedAt: null,
      outcome: null,
      connectedAt: null,
      evidence: null,
      outcomeAt: null,
    };
    state.calls.set(id, call);
  }
  return call;
}

/** callpermit allowed the call: it holds a place in the limit until its outcome. */
export function callAttempted(state: PairState, fact: CallAttempted): void {
  const call = callRecord(state, fact.callId, 'business_initiated', fact.at);
  if (call.attemptedAt === null) call.attemptedAt = fact.at;
}

/** The user called the business. */
export function userCallSeen(state: PairState, callId: string, at: Instant): void {
  callRecord(state, callId, 'user_initiated', at);
}

/**
 * The call was picked up: a business-initiated one counts in the limit from its start. Whether it is a new
 * connection (false: another report of a connection known already, which may only correct its instant).
 */
export function callConnected(state: PairState, fact: CallConnected): boolean {
  const call = callRecord(state, fact.callId, fact.direction, fact.at);
  const business = call.direction === 'business_initiated';
  if (call.outcome === 'connected') {
    // A start_time is the better evidence of when the call counts from than the ACCEPTED status.
    if (fact.evidence === 'start_time' && call.evidence === 'accepted' && call.connectedAt !== null) {
      if (business) {
        removeOne(state.connectedCalls, call.connectedAt);
        insertSorted(state.connectedCalls, fact.at);
      }
      call.connectedAt = fact.at;
      call.evidence = 'start_time';
    }
    return false;
  }
  call.outcome = 'connected';
  call.outcomeAt = fact.at;
  call.connectedAt = fact.at;
  call.evidence = fact.evidence;
  if (business) insertSorted(state.connectedCalls, fact.at);
  return true;
}

/** Calls callpermit allowed whose outcome is still unknown and whose hold has not run out: their stop instants. */
export function heldCallStops(state: PairState, policy: Policy, at: Instant): Instant[] {
  const stops: Instant[] = [];
  for (const call of state.calls.values()) {
    if (call.outcome !== null || call.attemptedAt === null) continue;
    const stop = call.attemptedAt + policy.callAttemptHoldSeconds;
    if (call.attemptedAt <= at && at < stop) stops.push(stop);
  }
  return stops;
}

/**
 * Connected business-initiated calls counted against each call limit at `at`. With `held`, calls allowed but
 * not yet resolved hold a place too (the guard's view; Meta's GET reports connected calls only).
 */
export function callLimitUse(
  state: PairState,
  policy: Policy,
  at: Instant,
  held: readonly Instant[] = [],
): LimitUse[] {
  return policy.connectedCallLimits.map((limit) => {
    const use = limitUse(limit, state.connectedCalls, at, held);
    return held.length === 0 ? use : { ...use, usage: use.usage + held.length };
  });
}

/** Why a business-initiated call started now would be refused by the call limit, if it would. */
export function callLimitRefusal(state: PairState, at: Instant, policy: Policy): Refusal | undefined {
  const uses = callLimitUse(state, policy, at, heldCallStops(state, policy, at));
  if (!exhausted(uses)) return undefined;
  return refuse(
    ErrorCode.connectedCallLimit,
    'Business-initiated connected calls limit reached',
    retryAfterLimits(uses),
  );
}

// The Decider's evolve: one fact applied to a pair's state, as a dispatch in the order the seed reads,
// delegating each fact to the rule it concerns (one file per rule, beside this one).
import { compareFacts, factRank } from '../domain/factOrder.js';
import type { PairFact } from '../domain/facts.js';
import { clonePairState, type PairState } from '../state/pairState.js';
import { forgetWhatNoLongerMatters } from '../state/retention.js';
import type { RuleEnv } from './businessSettings.js';
import { callAttempted, callConnected, userCallSeen } from './callLimit.js';
import { observe } from './observation.js';
import { callbackGrant, expirePermission, permissionGranted, revoke } from './permission.js';
import { resetRequestLimits, userActive } from './permissionRequests.js';
import { requestAnswered, requestDelivered, requestFailed, requestSent } from './requestMessages.js';
import { callMissed, restartStreak } from './unansweredStreak.js';

/**
 * Applies one fact to a pair's state and returns that state. It changes the state it is given, in place:
 * the caller owns it (a fresh initial state, a copy made once for a whole batch as `fold` does, a draft).
 * An immutable step per fact would copy the state every time, which costs more than the step itself
 * (docs/performance.md: the fold runs at ~0.7 of a hand-written reducer; immer's produce is 5–7× a spread).
 * Facts must come in fact order (`compareFacts`): the engine re-folds from an earlier checkpoint when a late
 * fact arrives.
 */
export function evolve(state: PairState, fact: PairFact, env: RuleEnv): PairState {
  const at = fact.at;
  const policy = env.policyAt(at);
  // Time reaching a temporary grant's expiry is an input: it applies before anything at or after it.
  expirePermission(state, at);
  switch (fact.type) {
    // The permission: only the user grants (from a request, the profile, or a call) or revokes.
    case 'PermissionGranted':
      // A reply to a request message is that request's answer too.
      if (fact.requestId !== undefined) requestAnswered(state, fact.requestId, 'Accepted', at, policy);
      permissionGranted(state, fact, policy);
      break;
    case 'PermissionRevoked':
      revoke(state, at, fact.by);
      break;
    case 'UserCalled':
      // A user's call opens the customer-service window and, with the callback setting on, grants.
      userActive(state, at);
      userCallSeen(state, fact.callId, at);
      if (env.callbackEnabledAt(at)) callbackGrant(state, at, policy);
      break;
    // Connected calls and the call limit.
    case 'CallAttempted':
      callAttempted(state, fact);
      break;
    case 'CallConnected':
      if (callConnected(state, fact)) {
        // "These limits reset when any connected call (business-initiated/user-initiated) is made."
        resetRequestLimits(state, at);
        restartStreak(state);
      }
      break;
    // Permission request messages: which messages are requests, their expiry and supersession.
    case 'RequestSent':
      requestSent(state, fact, policy);
      break;
    case 'RequestDelivered':
    case 'RequestRead':
      requestDelivered(state, fact.requestId, at, policy);
      break;
    case 'RequestFailed':
      requestFailed(state, fact);
      break;
    case 'PermissionDeclined':
      requestAnswered(state, fact.requestId, 'Declined', at, policy);
      break;
    // Business-initiated calls that go unanswered or are rejected.
    case 'CallUnanswered':
      callMissed(state, fact.callId, 'unanswered', at, policy);
      break;
    case 'CallRejected':
      callMissed(state, fact.callId, 'rejected', at, policy);
      break;
    // The customer-service window, for free-form requests.
    case 'UserMessaged':
      userActive(state, at);
      break;
    // Meta's answer to GET call_permissions: Meta wins.
    case 'PermissionObserved':
      observe(state, fact, policy);
      break;
  }
  forgetWhatNoLongerMatters(state, policy, at);
  state.factCount += 1;
  const last = state.last;
  if (last === null) state.last = { at, rank: factRank(fact.type), key: fact.key };
  else {
    // The state is the caller's own: reuse the position object instead of allocating one per fact.
    last.at = at;
    last.rank = factRank(fact.type);
    last.key = fact.key;
  }
  return state;
}

/** Folds facts (in any order; they are sorted here) onto a copy of `state`: one copy for the whole batch. */
export function fold(state: PairState, facts: readonly PairFact[], env: RuleEnv): PairState {
  const next = clonePairState(state);
  const sorted = [...facts].sort(compareFacts);
  for (const fact of sorted) evolve(next, fact, env);
  return next;
}

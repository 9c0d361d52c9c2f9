// Consecutive unanswered calls. "When business-initiated calls go unanswered or are rejected: 2 consecutive
// unanswered calls result in a system message to reconsider an approved permission; 4 consecutive unanswered
// calls result in an approved permission being automatically revoked. The user may again update this if they
// so choose." Evolve: the streak, its notices and the automatic revoke; a call picked up, a grant or a revoke
// starts it again (callpermit's choices: docs/rules.md). No decision of its own.
import type { Instant } from '../domain/time.js';
import type { Policy } from '../policy/policy.js';
import type { PairState } from '../state/pairState.js';
import { keepRecent } from '../state/retention.js';
import { callRecord } from './callLimit.js';
import { revoke } from './permission.js';

/** An unanswered or rejected business-initiated call: the 2 → reconsider, 4 → revoke streak. Once per call. */
export function callMissed(
  state: PairState,
  callId: string,
  outcome: 'unanswered' | 'rejected',
  at: Instant,
  policy: Policy,
): void {
  const call = callRecord(state, callId, 'business_initiated', at);
  if (call.outcome !== null) return;
  call.outcome = outcome;
  call.outcomeAt = at;
  state.unansweredStreak += 1;
  if (state.unansweredStreak === policy.unansweredReconsiderAt) {
    keepRecent(state.notices, { type: 'reconsider_prompted', at, callId });
  }
  if (state.unansweredStreak >= policy.unansweredRevokeAt) {
    if (revoke(state, at, 'automatic')) keepRecent(state.notices, { type: 'auto_revoked', at, callId });
    state.unansweredStreak = 0;
  }
}

/** A call the user picked up (either direction) ends the streak. */
export function restartStreak(state: PairState): void {
  state.unansweredStreak = 0;
}

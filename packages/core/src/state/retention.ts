// What a pair's state forgets, so it stays small whatever the length of its history: instants that can no
// longer count in any window, records that can no longer change an answer, and all but the latest notices
// and discrepancies. A storage concern, apart from the rules: no answer changes (docs/rules.md, "Pruning
// horizon"; `stateSize.test.ts`).
import type { Instant } from '../domain/time.js';
import { pruneBefore } from '../domain/windows.js';
import type { Policy } from '../policy/policy.js';
import type { CallRecord, PairState, RequestRecord } from './pairState.js';

/** How many notices and discrepancies a state keeps: the most recent ones. */
const KEPT_HISTORY = 50;

/** Appends to a list of notices or discrepancies, dropping the oldest beyond what a state keeps. */
export function keepRecent<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > KEPT_HISTORY) list.splice(0, list.length - KEPT_HISTORY);
}

const longest = new WeakMap<Policy, number>();

/** The longest window any limit looks back over: facts older than this cannot bind any more. */
function longestWindow(policy: Policy): number {
  let found = longest.get(policy);
  if (found === undefined) {
    found = 0;
    for (const l of policy.requestLimits) found = Math.max(found, l.periodSeconds);
    for (const l of policy.connectedCallLimits) found = Math.max(found, l.periodSeconds);
    // Policies are immutable values, so the answer can be kept with the object.
    longest.set(policy, found);
  }
  return found;
}

/**
 * When a record stops mattering: the first fact later than this instant may drop it. A message never
 * identified as a request matters while a status or reply about it can still make sense; a request, while it
 * can count in a window or shows in the request history; a call, while its evidence can still merge (minutes)
 * and its instant can count in a window.
 */
function requestDropAfter(rec: RequestRecord, policy: Policy): Instant {
  const stale = 2 * Math.max(policy.requestExpirySeconds, longestWindow(policy));
  if (rec.tentative) {
    const seen = rec.sentAt ?? rec.deliveredAt ?? rec.failedAt;
    return seen === null ? Number.POSITIVE_INFINITY : seen + stale;
  }
  const ended = rec.lifecycle === 'failed' ? rec.failedAt : (rec.expiresAt ?? rec.sentAt);
  return ended === null ? Number.POSITIVE_INFINITY : ended + Math.max(policy.requestHistorySeconds, stale);
}

function callDropAfter(call: CallRecord, policy: Policy): Instant {
  const latest = Math.max(call.seenAt, call.attemptedAt ?? call.seenAt, call.outcomeAt ?? call.seenAt);
  return latest + 2 * longestWindow(policy);
}

/** Bounds the state at a fact at `at`: what can no longer count in any window, or change any answer, goes. */
export function forgetWhatNoLongerMatters(state: PairState, policy: Policy, at: Instant): void {
  const horizon = at - 2 * longestWindow(policy);
  if ((state.sends[0] ?? Infinity) <= horizon) pruneBefore(state.sends, horizon);
  if ((state.connectedCalls[0] ?? Infinity) <= horizon) pruneBefore(state.connectedCalls, horizon);
  // Walking the records is the costly part (most pairs see a fact or two a day), so it happens only once one
  // may have stopped mattering. States folded before `sweepAfter` existed lack it: they are swept now.
  if (at <= (state.sweepAfter ?? Number.NEGATIVE_INFINITY)) return;
  // A record changed from now on is kept at least this long (its instants are this fact's or later); one
  // changed with an older instant (a late identification) waits for that sweep at the latest.
  let next = at + 2 * longestWindow(policy);
  // Deleting the entry being visited is safe while iterating a Map.
  for (const [id, rec] of state.requests) {
    const after = requestDropAfter(rec, policy);
    if (at > after) state.requests.delete(id);
    else next = Math.min(next, after);
  }
  for (const [id, call] of state.calls) {
    const after = callDropAfter(call, policy);
    if (at > after) state.calls.delete(id);
    else next = Math.min(next, after);
  }
  state.sweepAfter = next;
}

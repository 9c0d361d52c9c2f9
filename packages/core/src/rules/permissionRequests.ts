// Permission requests and their limits. "Maximum of 1 permission request in 24h. Maximum 2 permission requests
// within 7 days. These limits reset when any connected call (business-initiated/user-initiated) is made …
// These limits apply toward permissions requests sent either as free form or template messages." A free-form
// request needs the customer-service window ("When you are within a customer service window with a WhatsApp
// user, you can send a free form message with a call permission request"); a template does not.
// Evolve: requests counted as they are identified (requestMessages.ts), the reset at a connected call, the
// window opened by the user's message or call. Decide: 138017, 131047, 138009, in that order.
import { ErrorCode, type Refusal, refuse } from '../domain/commands.js';
import type { Instant } from '../domain/time.js';
import { exhausted, insertSorted, type LimitUse, limitUse, retryAfterLimits } from '../domain/windows.js';
import type { Policy } from '../policy/policy.js';
import type { PairState } from '../state/pairState.js';
import { permissionAt } from './permission.js';

/** A message became a known permission request, sent at `sentAt`: it counts against the request limits. */
export function countRequest(state: PairState, sentAt: Instant): void {
  insertSorted(state.sends, sentAt);
}

/** "These limits reset when any connected call (business-initiated/user-initiated) is made." */
export function resetRequestLimits(state: PairState, at: Instant): void {
  state.requestLimitResetAt = Math.max(state.requestLimitResetAt ?? at, at);
}

/** A user message or call: the customer-service window runs from the latest. */
export function userActive(state: PairState, at: Instant): void {
  state.lastUserActivityAt = Math.max(state.lastUserActivityAt ?? at, at);
}

/**
 * Request sends counted against each request limit at `at`; a connected call resets them. A send in the same
 * second as the call still counts: the fold orders it before the call, but a request decided after the call
 * was seen lands on that second too, and must not leave the counters empty.
 */
export function requestLimitUse(state: PairState, policy: Policy, at: Instant): LimitUse[] {
  const reset = state.requestLimitResetAt;
  const counted = reset === null ? state.sends : state.sends.filter((s) => s >= reset);
  return policy.requestLimits.map((limit) => limitUse(limit, counted, at, []));
}

/** A user message or user call opens the customer-service window for `customerServiceWindowSeconds`. */
export function customerServiceWindowOpen(state: PairState, policy: Policy, at: Instant): boolean {
  const last = state.lastUserActivityAt;
  return last !== null && last <= at && at < last + policy.customerServiceWindowSeconds;
}

/** Why a permission request sent now on `channel` would be refused by the request rules, if it would. */
export function requestRefusal(
  state: PairState,
  channel: 'free_form' | 'template',
  at: Instant,
  policy: Policy,
): Refusal | undefined {
  if (permissionAt(state, at).status === 'permanent') {
    return refuse(ErrorCode.permanentPermissionExists, 'A permanent call permission already exists');
  }
  if (channel === 'free_form' && !customerServiceWindowOpen(state, policy, at)) {
    return refuse(
      ErrorCode.outsideCustomerServiceWindow,
      'Free-form messages need an open customer-service window; send a template',
    );
  }
  const uses = requestLimitUse(state, policy, at);
  if (exhausted(uses)) {
    return refuse(ErrorCode.requestLimit, 'Call permission request limit reached', retryAfterLimits(uses));
  }
  return undefined;
}

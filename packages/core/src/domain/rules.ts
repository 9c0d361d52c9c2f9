import {
  type Policy,
  type PolicyAt,
  type PolicyBook,
  policyFor,
  type WindowLimit,
} from '../policy/policy.js';
import type { PairState } from './state.js';
import type { Instant } from './time.js';
import { bindingUntil, countInWindow } from './windows.js';

/** What the fold and the rules need besides the pair's own facts. */
export interface RuleEnv {
  readonly policyAt: PolicyAt;
  /** Whether the business number had callback permission enabled at an instant (a business-level fact). */
  readonly callbackEnabledAt: (at: Instant) => boolean;
  /**
   * Whether calling was enabled on the business number at an instant (settings `calling.status`); undefined
   * while nothing is known, which the rules read as enabled. Absent: never known.
   */
  readonly callingEnabledAt?: (at: Instant) => boolean | undefined;
}

/** A change of a business number's callback setting: when, and to what. */
export interface CallbackChange {
  readonly at: Instant;
  readonly enabled: boolean;
}

/** The setting in force at `at` among `changes` (ascending by instant), or `before` when none had happened. */
function settingAt<T>(changes: readonly CallbackChange[], at: Instant, before: T): boolean | T {
  let enabled: boolean | T = before;
  for (const c of changes) {
    if (c.at > at) break;
    enabled = c.enabled;
  }
  return enabled;
}

/**
 * The rules' environment of one business: its policy over time, its callback setting over `changes` and its
 * calling status over `callingChanges` (both ascending by instant; read on every call, so a caller may append
 * to them). Callback is off until enabled; calling is unknown (allowed) until a status is known.
 */
export function businessRuleEnv(
  policy: PolicyBook,
  business: string,
  changes: readonly CallbackChange[],
  callingChanges: readonly CallbackChange[] = [],
): RuleEnv {
  return {
    policyAt: policyFor(policy, business),
    callbackEnabledAt: (at) => settingAt(changes, at, false),
    callingEnabledAt: (at) => settingAt(callingChanges, at, undefined),
  };
}

/** Calling is off on the business number at `at`: a known DISABLED status, not an unknown one. */
export function callingDisabledAt(env: RuleEnv, at: Instant): boolean {
  return env.callingEnabledAt?.(at) === false;
}

export type PermissionStatus = 'no_permission' | 'temporary' | 'permanent';

/** The permission as Meta would report it at `at`: a temporary grant expiring at E holds for t < E. */
export function permissionAt(
  state: PairState,
  at: Instant,
): { status: PermissionStatus; expiresAt?: Instant } {
  const p = state.permission;
  if (p.status === 'permanent') return { status: 'permanent' };
  if (p.status === 'temporary' && p.expiresAt !== null && at < p.expiresAt) {
    return { status: 'temporary', expiresAt: p.expiresAt };
  }
  return { status: 'no_permission' };
}

export interface LimitUse {
  readonly limit: WindowLimit;
  readonly usage: number;
  /** Set while the limit is exhausted: the instant it stops binding. */
  readonly until?: Instant;
}

function useOf(
  limit: WindowLimit,
  counted: readonly Instant[],
  at: Instant,
  extraStops: readonly Instant[],
): LimitUse {
  const usage = countInWindow(counted, limit.periodSeconds, at);
  // Most limits are far from binding: the stop instants are only gathered when they could.
  if (usage + extraStops.length < limit.maxAllowed) return { limit, usage };
  const stops = [...extraStops];
  for (const s of counted) if (s <= at && at < s + limit.periodSeconds) stops.push(s + limit.periodSeconds);
  const until = bindingUntil(stops, limit.maxAllowed);
  return until === undefined ? { limit, usage } : { limit, usage, until };
}

/**
 * Request sends counted against each request limit at `at`; a connected call resets them. A send in the same
 * second as the call still counts: the fold orders it before the call, but a request decided after the call
 * was seen lands on that second too, and must not leave the counters empty.
 */
export function requestLimitUse(state: PairState, policy: Policy, at: Instant): LimitUse[] {
  const reset = state.requestLimitResetAt;
  const counted = reset === null ? state.sends : state.sends.filter((s) => s >= reset);
  return policy.requestLimits.map((limit) => useOf(limit, counted, at, []));
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
    const use = useOf(limit, state.connectedCalls, at, held);
    return held.length === 0 ? use : { ...use, usage: use.usage + held.length };
  });
}

export function exhausted(uses: readonly LimitUse[]): boolean {
  return uses.some((u) => u.usage >= u.limit.maxAllowed);
}

/** The instant every exhausted limit has stopped binding. */
export function retryAfterLimits(uses: readonly LimitUse[]): Instant | undefined {
  let latest: Instant | undefined;
  for (const u of uses) {
    if (u.usage >= u.limit.maxAllowed && u.until !== undefined) latest = Math.max(latest ?? u.until, u.until);
  }
  return latest;
}

/** A user message or user call opens the customer-service window for `customerServiceWindowSeconds`. */
export function customerServiceWindowOpen(state: PairState, policy: Policy, at: Instant): boolean {
  const last = state.lastUserActivityAt;
  return last !== null && last <= at && at < last + policy.customerServiceWindowSeconds;
}

export { countInWindow };

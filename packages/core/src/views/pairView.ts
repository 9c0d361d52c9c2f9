// What a subscriber to the change feed watches of a pair at an instant: the permission and how it came or
// went, each request's lifecycle, whether the call limit and the request limits bind (and until when), the
// customer-service window (it gates free-form requests), and the latest reconsider prompt. The change feed
// (views/pairChanges.ts) reports every change of it; a change carries the new value of one part.
import type { GrantVia, PermissionStatus } from '../domain/facts.js';
import type { Instant } from '../domain/time.js';
import { exhausted, type LimitUse, retryAfterLimits } from '../domain/windows.js';
import type { RequestLifecycle } from '../machines/requestMachine.js';
import type { RuleEnv } from '../rules/businessSettings.js';
import { callLimitUse, heldCallStops } from '../rules/callLimit.js';
import { permissionAt } from '../rules/permission.js';
import { customerServiceWindowOpen, requestLimitUse } from '../rules/permissionRequests.js';
import { requestLifecycleAt } from '../rules/requestMessages.js';
import type { PairState, RequestRecord } from '../state/pairState.js';

/**
 * The permission as Meta reports it (`status`, `expires_at` for a temporary one), with how it was granted
 * (`via`, `since`) or how it ended (`ended`: revoked, with `by`, or expired; `since` the instant it ended).
 */
export interface PermissionWatch {
  readonly status: PermissionStatus;
  readonly expires_at?: Instant;
  readonly via?: GrantVia | 'observed';
  readonly ended?: 'revoked' | 'expired';
  readonly by?: 'user' | 'automatic' | 'observed';
  readonly since?: Instant;
}

/** A permission request message: its lifecycle state and, while time can end it, when it expires. */
export interface RequestWatch {
  readonly request_id: string;
  readonly state: RequestLifecycle;
  readonly expires_at?: Instant;
}

/**
 * A limit as `decide` sees it: `reached` while a request (or a call) would be refused by it, and `until`, the
 * first instant time alone frees it ("you may call again at T"). The call limit counts calls allowed but not
 * yet resolved (they hold a place), as the guard does.
 */
export interface LimitWatch {
  readonly reached: boolean;
  readonly until?: Instant;
}

/** The customer-service window: a free-form permission request is allowed only while it is open. */
export interface WindowWatch {
  readonly open: boolean;
  readonly until?: Instant;
}

/** The latest "reconsider" prompt WhatsApp showed the user after unanswered calls. */
export interface PromptWatch {
  readonly at: Instant;
  readonly call_id: string;
}

/** A pair's watched view at an instant. JSON; parts are compared and replaced whole. */
export interface PairView {
  readonly permission: PermissionWatch;
  /** By request id. */
  readonly requests: Readonly<Record<string, RequestWatch>>;
  readonly call_limit: LimitWatch;
  readonly request_limit: LimitWatch;
  readonly customer_service_window: WindowWatch;
  readonly reconsider_prompt: PromptWatch | null;
}

/** `since` and `via`/`by` are set by every grant and revoke; written only when known, so a view never depends on `at`. */
function permissionWatch(state: PairState, at: Instant): PermissionWatch {
  const p = state.permission;
  const now = permissionAt(state, at);
  const since = p.since === null ? {} : { since: p.since };
  if (now.status !== 'no_permission') {
    const via = p.via === null ? {} : { via: p.via };
    return now.expiresAt === undefined
      ? { status: now.status, ...via, ...since }
      : { status: now.status, expires_at: now.expiresAt, ...via, ...since };
  }
  // No permission: never given, revoked, or a temporary one whose expiry has passed (folded or not yet).
  if (p.status === 'revoked')
    return { status: 'no_permission', ended: 'revoked', by: p.revokedBy ?? 'user', ...since };
  if (p.status === 'expired') return { status: 'no_permission', ended: 'expired', ...since };
  if (p.status === 'temporary' && p.expiresAt !== null)
    return { status: 'no_permission', ended: 'expired', since: p.expiresAt };
  return { status: 'no_permission' };
}

function limitWatch(uses: readonly LimitUse[]): LimitWatch {
  if (!exhausted(uses)) return { reached: false };
  const until = retryAfterLimits(uses);
  return until === undefined ? { reached: true } : { reached: true, until };
}

// Each part compared field by field (what `sameJson` says of them, without walking keys): the change feed
// compares views at every fact it folds.
export function samePermission(a: PermissionWatch, b: PermissionWatch): boolean {
  return (
    a === b ||
    (a.status === b.status &&
      a.expires_at === b.expires_at &&
      a.via === b.via &&
      a.ended === b.ended &&
      a.by === b.by &&
      a.since === b.since)
  );
}

export function sameRequest(a: RequestWatch, b: RequestWatch): boolean {
  return a === b || (a.request_id === b.request_id && a.state === b.state && a.expires_at === b.expires_at);
}

export function sameLimit(a: LimitWatch, b: LimitWatch): boolean {
  return a === b || (a.reached === b.reached && a.until === b.until);
}

export function sameWindow(a: WindowWatch, b: WindowWatch): boolean {
  return a === b || (a.open === b.open && a.until === b.until);
}

export function samePrompt(a: PromptWatch | null, b: PromptWatch | null): boolean {
  return a === b || (a !== null && b !== null && a.at === b.at && a.call_id === b.call_id);
}

function sameRequests(a: PairView['requests'], b: PairView['requests']): boolean {
  if (a === b) return true;
  let count = 0;
  for (const id in a) {
    const other = b[id];
    if (other === undefined || !sameRequest(a[id] as RequestWatch, other)) return false;
    count++;
  }
  for (const _ in b) count--;
  return count === 0;
}

/** Two views are the same: every part is. */
export function sameView(a: PairView, b: PairView): boolean {
  return (
    a === b ||
    (samePermission(a.permission, b.permission) &&
      sameLimit(a.call_limit, b.call_limit) &&
      sameLimit(a.request_limit, b.request_limit) &&
      sameWindow(a.customer_service_window, b.customer_service_window) &&
      samePrompt(a.reconsider_prompt, b.reconsider_prompt) &&
      sameRequests(a.requests, b.requests))
  );
}

/** Whether `watch` is what `rec` shows at `at`. */
function shows(watch: RequestWatch | undefined, rec: RequestRecord, at: Instant): watch is RequestWatch {
  return (
    watch !== undefined &&
    watch.state === requestLifecycleAt(rec, at) &&
    watch.expires_at === (rec.expiresAt ?? undefined)
  );
}

/** The requests' watches at `at`; `like` itself when it shows every one of them (and no other). */
function requestWatches(
  state: PairState,
  at: Instant,
  like?: Readonly<Record<string, RequestWatch>>,
): Readonly<Record<string, RequestWatch>> {
  if (like !== undefined) {
    let count = 0;
    let same = true;
    for (const rec of state.requests.values()) {
      if (rec.tentative) continue;
      count++;
      if (!shows(like[rec.id], rec, at)) {
        same = false;
        break;
      }
    }
    if (same) {
      for (const _ in like) count--;
      if (count === 0) return like;
    }
  }
  const out: Record<string, RequestWatch> = {};
  for (const rec of state.requests.values()) {
    if (rec.tentative) continue;
    const before = like?.[rec.id];
    if (shows(before, rec, at)) {
      out[rec.id] = before;
      continue;
    }
    const lifecycle = requestLifecycleAt(rec, at);
    out[rec.id] =
      rec.expiresAt === null
        ? { request_id: rec.id, state: lifecycle }
        : { request_id: rec.id, state: lifecycle, expires_at: rec.expiresAt };
  }
  return out;
}

function latestPrompt(state: PairState): PromptWatch | null {
  for (let i = state.notices.length - 1; i >= 0; i--) {
    const n = state.notices[i];
    if (n?.type === 'reconsider_prompted') return { at: n.at, call_id: n.callId };
  }
  return null;
}

/**
 * The pair's watched view at `at`, from its state folded through every fact at or before `at`. Parts the same
 * as `like`'s are `like`'s own objects (`like` itself when every part is): views are never changed, and a walk
 * that compares each view with the one before finds an unchanged part at once.
 */
export function pairView(state: PairState, at: Instant, env: RuleEnv, like?: PairView): PairView {
  const policy = env.policyAt(at);
  const windowOpen = customerServiceWindowOpen(state, policy, at);
  const view: PairView = {
    permission: permissionWatch(state, at),
    requests: requestWatches(state, at, like?.requests),
    call_limit: limitWatch(callLimitUse(state, policy, at, heldCallStops(state, policy, at))),
    request_limit: limitWatch(requestLimitUse(state, policy, at)),
    customer_service_window: windowOpen
      ? { open: true, until: (state.lastUserActivityAt as Instant) + policy.customerServiceWindowSeconds }
      : { open: false },
    reconsider_prompt: latestPrompt(state),
  };
  if (like === undefined) return view;
  const permission = samePermission(view.permission, like.permission) ? like.permission : view.permission;
  const callLimit = sameLimit(view.call_limit, like.call_limit) ? like.call_limit : view.call_limit;
  const requestLimit = sameLimit(view.request_limit, like.request_limit)
    ? like.request_limit
    : view.request_limit;
  const window = sameWindow(view.customer_service_window, like.customer_service_window)
    ? like.customer_service_window
    : view.customer_service_window;
  const prompt = samePrompt(view.reconsider_prompt, like.reconsider_prompt)
    ? like.reconsider_prompt
    : view.reconsider_prompt;
  if (
    permission === like.permission &&
    view.requests === like.requests &&
    callLimit === like.call_limit &&
    requestLimit === like.request_limit &&
    window === like.customer_service_window &&
    prompt === like.reconsider_prompt
  )
    return like;
  return {
    permission,
    requests: view.requests,
    call_limit: callLimit,
    request_limit: requestLimit,
    customer_service_window: window,
    reconsider_prompt: prompt,
  };
}

/** The view before anything is known of the pair. */
export const EMPTY_VIEW: PairView = Object.freeze({
  permission: Object.freeze({ status: 'no_permission' as const }),
  requests: Object.freeze({}),
  call_limit: Object.freeze({ reached: false }),
  request_limit: Object.freeze({ reached: false }),
  customer_service_window: Object.freeze({ open: false }),
  reconsider_prompt: null,
});

/** Two JSON values are the same whatever the order of their keys. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  for (const k of ka)
    if (!sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

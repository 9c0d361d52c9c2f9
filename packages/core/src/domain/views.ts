import type { RequestLifecycle } from '../machines/requestMachine.js';
import { callRefusal, requestRefusal } from './decide.js';
import { callLimitUse, type LimitUse, permissionAt, type RuleEnv, requestLimitUse } from './rules.js';
import type { PairState, RequestRecord } from './state.js';
import type { Instant } from './time.js';
import { isoDuration } from './time.js';

/** One entry of `actions[].limits` in Meta's `GET /{phone_number_id}/call_permissions` body. */
export interface LimitView {
  time_period: string;
  max_allowed: number;
  current_usage: number;
  /** Only while the limit is exhausted: the instant it stops binding. */
  limit_expiration_time?: number;
}
export interface ActionView {
  action_name: 'send_call_permission_request' | 'start_call';
  can_perform_action: boolean;
  limits: LimitView[];
}
/** Exactly the body of Meta's `GET /{phone_number_id}/call_permissions` (reference §3). */
export interface CallPermissionsView {
  messaging_product: 'whatsapp';
  permission: { status: 'no_permission' | 'temporary' | 'permanent'; expiration_time?: number };
  actions: ActionView[];
}

function limitViews(uses: readonly LimitUse[]): LimitView[] {
  return uses.map((u) => {
    const view: LimitView = {
      time_period: isoDuration(u.limit.periodSeconds),
      max_allowed: u.limit.maxAllowed,
      current_usage: u.usage,
    };
    if (u.usage >= u.limit.maxAllowed && u.until !== undefined) view.limit_expiration_time = u.until;
    return view;
  });
}

/**
 * The permission and what the business may do at `at`, as Meta's GET would answer. `can_perform_action` is
 * what `decide` would answer (a template request; a call), so the view and the guard never disagree.
 */
export function callPermissions(state: PairState, at: Instant, env: RuleEnv): CallPermissionsView {
  const policy = env.policyAt(at);
  const permission = permissionAt(state, at);
  return {
    messaging_product: 'whatsapp',
    permission:
      permission.expiresAt === undefined
        ? { status: permission.status }
        : { status: permission.status, expiration_time: permission.expiresAt },
    actions: [
      {
        action_name: 'send_call_permission_request',
        can_perform_action: requestRefusal(state, 'template', at, env) === undefined,
        limits: limitViews(requestLimitUse(state, policy, at)),
      },
      {
        action_name: 'start_call',
        can_perform_action: callRefusal(state, at, env) === undefined,
        limits: limitViews(callLimitUse(state, policy, at)),
      },
    ],
  };
}

/** One permission request message, as `callpermit requests` prints it (Unix seconds; absent when unknown). */
export interface RequestView {
  id: string;
  state: RequestLifecycle;
  channel: RequestRecord['channel'];
  sent_at?: number;
  delivered_at?: number;
  answered_at?: number;
  expires_at?: number;
}

/** The lifecycle of a request at `at`: a live request whose expiry has passed reads as expired. */
export function requestLifecycleAt(rec: RequestRecord, at: Instant): RequestLifecycle {
  const live = rec.lifecycle === 'delivered' || rec.lifecycle === 'declined' || rec.lifecycle === 'accepted';
  return live && rec.expiresAt !== null && at >= rec.expiresAt ? 'expired' : rec.lifecycle;
}

/** Every known permission request of the pair with its lifecycle state at `at`, oldest first. */
export function requests(state: PairState, at: Instant): RequestView[] {
  const out: RequestView[] = [];
  for (const rec of state.requests.values()) {
    if (rec.tentative) continue;
    const view: RequestView = { id: rec.id, state: requestLifecycleAt(rec, at), channel: rec.channel };
    if (rec.sentAt !== null) view.sent_at = rec.sentAt;
    if (rec.deliveredAt !== null) view.delivered_at = rec.deliveredAt;
    if (rec.answeredAt !== null) view.answered_at = rec.answeredAt;
    if (rec.expiresAt !== null) view.expires_at = rec.expiresAt;
    out.push(view);
  }
  const order = (v: RequestView) => v.sent_at ?? v.delivered_at ?? v.answered_at ?? Number.MAX_SAFE_INTEGER;
  return out.sort((a, b) => order(a) - order(b) || (a.id < b.id ? -1 : 1));
}

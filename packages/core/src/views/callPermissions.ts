// Meta's `GET /{phone_number_id}/call_permissions` body, answered from a pair's state at an instant.
import type { PermissionStatus } from '../domain/facts.js';
import type { Instant } from '../domain/time.js';
import { isoDuration } from '../domain/time.js';
import type { LimitUse } from '../domain/windows.js';
import type { RuleEnv } from '../rules/businessSettings.js';
import { callLimitUse } from '../rules/callLimit.js';
import { sendRequestRefusal, startCallRefusal } from '../rules/decide.js';
import { permissionAt } from '../rules/permission.js';
import { requestLimitUse } from '../rules/permissionRequests.js';
import type { PairState } from '../state/pairState.js';

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
  permission: { status: PermissionStatus; expiration_time?: number };
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
        can_perform_action: sendRequestRefusal(state, 'template', at, env) === undefined,
        limits: limitViews(requestLimitUse(state, policy, at)),
      },
      {
        action_name: 'start_call',
        can_perform_action: startCallRefusal(state, at, env) === undefined,
        limits: limitViews(callLimitUse(state, policy, at)),
      },
    ],
  };
}

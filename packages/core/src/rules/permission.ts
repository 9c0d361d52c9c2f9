// The permission. "When a WhatsApp user grants call permissions, they can be either temporary or permanent.
// Business does not have control over this permission as it is only granted by the user and can only be
// revoked by the user, at any time." Grants come from a request message, the business profile, or a call the
// user places (the callback setting); a temporary grant lasts 7 days, or until Meta's expiration_timestamp.
// Evolve: grants, revokes and the expiry of a temporary grant. Decide: no call without a permission (138006).
import { ErrorCode, type Refusal, refuse } from '../domain/commands.js';
import type { PermissionGranted, PermissionStatus } from '../domain/facts.js';
import type { Instant } from '../domain/time.js';
import { permissionCanExpire, permissionTable } from '../machines/lifecycleTable.js';
import type { PermissionEvent } from '../machines/permissionMachine.js';
import type { Policy } from '../policy/policy.js';
import type { PairState, PermissionRecord } from '../state/pairState.js';

/** Moves the permission's lifecycle, if its machine takes `event` in the state it is in. */
function permissionMove(state: PairState, event: PermissionEvent): boolean {
  const next = permissionTable[state.permission.status][event];
  if (next === undefined) return false;
  state.permission.status = next;
  return true;
}

/**
 * Time reaching a temporary grant's expiry is an input ("No webhook is sent when a temporary permission
 * expires"): applied before anything that happens at or after that instant.
 */
export function expirePermission(state: PairState, at: Instant): void {
  const p = state.permission;
  if (p.expiresAt !== null && at >= p.expiresAt && permissionMove(state, 'Expired')) p.since = p.expiresAt;
}

/**
 * The user granted (or Meta reports a grant): a permanent permission, or a temporary one until `expiresAt`.
 * Whether the machine took it.
 */
export function grant(
  state: PairState,
  permanent: boolean,
  expiresAt: Instant,
  at: Instant,
  via: PermissionRecord['via'],
): boolean {
  expirePermission(state, at);
  if (!permissionMove(state, permanent ? 'PermanentGranted' : 'TemporaryGranted')) return false;
  const p = state.permission;
  p.since = at;
  p.expiresAt = permanent ? null : expiresAt;
  p.via = via;
  p.revokedBy = null;
  // The user answered: the unanswered streak starts again (callpermit's choice; docs/rules.md).
  state.unansweredStreak = 0;
  return true;
}

/** The permission ended by the user, by the unanswered streak, or as Meta reports. Whether there was one. */
export function revoke(
  state: PairState,
  at: Instant,
  by: NonNullable<PermissionRecord['revokedBy']>,
): boolean {
  expirePermission(state, at);
  if (!permissionMove(state, 'Revoked')) return false;
  const p = state.permission;
  p.since = at;
  p.expiresAt = null;
  p.revokedBy = by;
  state.unansweredStreak = 0;
  return true;
}

/**
 * A PermissionGranted fact: "Temporary permissions are granted for 7 calendar days (168 hours) … from time of
 * user's approval", unless Meta's `expiration_timestamp` names the instant. An automatic callback grant
 * never downgrades a permanent permission.
 */
export function permissionGranted(state: PairState, fact: PermissionGranted, policy: Policy): void {
  if (fact.via === 'callback' && state.permission.status === 'permanent') return;
  grant(state, fact.permanent, fact.expiresAt ?? fact.at + policy.temporaryGrantSeconds, fact.at, fact.via);
}

/**
 * "The WhatsApp user automatically provides temporary call permissions by placing a call to the business"
 * (while the business's callback setting is on: the caller asks). Never downgrades a permanent permission.
 */
export function callbackGrant(state: PairState, at: Instant, policy: Policy): void {
  if (state.permission.status !== 'permanent')
    grant(state, false, at + policy.temporaryGrantSeconds, at, 'callback');
}

/** The permission as Meta would report it at `at`: a temporary grant expiring at E holds for t < E. */
export function permissionAt(
  state: PairState,
  at: Instant,
): { status: PermissionStatus; expiresAt?: Instant } {
  const p = state.permission;
  if (p.status === 'permanent') return { status: 'permanent' };
  if (permissionCanExpire(p.status) && p.expiresAt !== null && at < p.expiresAt) {
    return { status: 'temporary', expiresAt: p.expiresAt };
  }
  return { status: 'no_permission' };
}

/** "If you want to place a call to a WhatsApp user, your business must receive user permission first." */
export function noPermissionRefusal(state: PairState, at: Instant): Refusal | undefined {
  if (permissionAt(state, at).status !== 'no_permission') return undefined;
  return refuse(ErrorCode.noPermission, 'No approved call permission from the recipient');
}

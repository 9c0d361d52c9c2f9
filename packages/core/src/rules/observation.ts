// Meta's observations. "Alternatively the current permission state can be queried from the get current call
// permission state endpoint": a PermissionObserved fact is Meta's GET answer at an instant. Evolve: every
// difference from callpermit's own view (the status, the expiry, each limit's usage and maximum) is kept as a
// discrepancy, then Meta wins: callpermit's permission becomes Meta's. No decision of its own.
import type { PermissionObserved } from '../domain/facts.js';
import type { Instant } from '../domain/time.js';
import type { LimitUse } from '../domain/windows.js';
import type { Policy } from '../policy/policy.js';
import type { PairState } from '../state/pairState.js';
import { keepRecent } from '../state/retention.js';
import { callLimitUse } from './callLimit.js';
import { grant, permissionAt, revoke } from './permission.js';
import { requestLimitUse } from './permissionRequests.js';

function note(
  state: PairState,
  at: Instant,
  field: string,
  ours: string | number | null,
  meta: string | number | null,
): void {
  keepRecent(state.discrepancies, { at, field, ours, meta });
}

export function observe(state: PairState, fact: PermissionObserved, policy: Policy): void {
  const ours = permissionAt(state, fact.at);
  // Observations come often and mostly agree: field names are spelled out only for a discrepancy.
  if (ours.status !== fact.status) note(state, fact.at, 'permission.status', ours.status, fact.status);
  if (fact.status === 'temporary' && ours.status === 'temporary') {
    const o = ours.expiresAt ?? null;
    const m = fact.expiresAt ?? null;
    if (o !== m) note(state, fact.at, 'permission.expiration_time', o, m);
  }
  // Each action's limits are counted once, however many of its periods Meta reported.
  let callUses: LimitUse[] | undefined;
  let requestUses: LimitUse[] | undefined;
  for (const u of fact.usage ?? []) {
    let uses: LimitUse[];
    if (u.action === 'start_call') {
      callUses ??= callLimitUse(state, policy, fact.at);
      uses = callUses;
    } else {
      requestUses ??= requestLimitUse(state, policy, fact.at);
      uses = requestUses;
    }
    const mine = uses.find((x) => x.limit.periodSeconds === u.periodSeconds);
    const usage = mine?.usage ?? null;
    const max = mine?.limit.maxAllowed ?? null;
    if (usage !== u.currentUsage)
      note(state, fact.at, `${u.action}.${u.periodSeconds}s.current_usage`, usage, u.currentUsage);
    if (max !== u.maxAllowed)
      note(state, fact.at, `${u.action}.${u.periodSeconds}s.max_allowed`, max, u.maxAllowed);
  }
  state.lastObserved = { at: fact.at, status: fact.status };
  // Meta wins.
  if (fact.status === 'permanent' && ours.status !== 'permanent') grant(state, true, 0, fact.at, 'observed');
  else if (fact.status === 'temporary') {
    const expiresAt = fact.expiresAt ?? ours.expiresAt ?? fact.at + policy.temporaryGrantSeconds;
    if (ours.status !== 'temporary' || ours.expiresAt !== expiresAt)
      grant(state, false, expiresAt, fact.at, 'observed');
  } else if (fact.status === 'no_permission' && ours.status !== 'no_permission')
    revoke(state, fact.at, 'observed');
}

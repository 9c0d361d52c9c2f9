import { enableMapSet, produce } from 'immer';
import { permissionTable, requestTable } from '../machines/lifecycleTable.js';
import type { PermissionEvent } from '../machines/permissionMachine.js';
import type { RequestEvent } from '../machines/requestMachine.js';
import { longestWindow, type Policy } from '../policy/policy.js';
import { compareFacts, factRank, type PairFact } from './facts.js';
import { callLimitUse, type LimitUse, permissionAt, type RuleEnv, requestLimitUse } from './rules.js';
import { type CallRecord, clonePairState, type PairState, type RequestRecord } from './state.js';
import type { Instant } from './time.js';
import { insertSorted, pruneBefore, removeOne } from './windows.js';

// A state's records are Maps: immer drafts them only with its Map/Set support loaded.
enableMapSet();

/** How many notices and discrepancies a state keeps: the most recent ones. */
const KEPT_HISTORY = 50;

function requestMove(rec: RequestRecord, event: RequestEvent): boolean {
  const next = requestTable[rec.lifecycle][event];
  if (next === undefined) return false;
  rec.lifecycle = next;
  return true;
}

function permissionMove(state: PairState, event: PermissionEvent): boolean {
  const next = permissionTable[state.permission.status][event];
  if (next === undefined) return false;
  state.permission.status = next;
  return true;
}

/** Time reaching an expiry instant is an input: apply it before anything that happens at or after it. */
function expireRequest(rec: RequestRecord, at: Instant): void {
  if (rec.expiresAt !== null && at >= rec.expiresAt) requestMove(rec, 'Expired');
}

function expirePermission(state: PairState, at: Instant): void {
  const p = state.permission;
  if (
    p.status === 'temporary' &&
    p.expiresAt !== null &&
    at >= p.expiresAt &&
    permissionMove(state, 'Expired')
  ) {
    p.since = p.expiresAt;
  }
}

/** The record of a message id; new records are tentative until a fact identifies them as requests. */
function requestRecord(state: PairState, id: string): RequestRecord {
  let rec = state.requests.get(id);
  if (!rec) {
    rec = {
      id,
      channel: 'unknown',
      tentative: true,
      lifecycle: 'sent',
      sentAt: null,
      deliveredAt: null,
      answeredAt: null,
      failedAt: null,
      expiresAt: null,
    };
    state.requests.set(id, rec);
  }
  return rec;
}

/** The instant a request counts from in the request limits. */
function sendInstant(rec: RequestRecord, fallback: Instant): Instant {
  return rec.sentAt ?? rec.deliveredAt ?? fallback;
}

/**
 * A message becomes a known permission request: it now counts against the request limits, and what its
 * statuses said so far (delivered, failed) moves its lifecycle, superseding older requests it reached.
 */
function identify(state: PairState, rec: RequestRecord, at: Instant, policy: Policy): void {
  if (!rec.tentative) return;
  rec.tentative = false;
  insertSorted(state.sends, sendInstant(rec, at));
  if (rec.failedAt !== null) {
    requestMove(rec, 'Failed');
  } else if (rec.deliveredAt !== null) {
    if (requestMove(rec, 'Delivered')) rec.expiresAt = rec.deliveredAt + policy.requestExpirySeconds;
    supersedeOlder(state, rec, rec.deliveredAt);
  }
}

/** "A call permission request expires … [when] a new call permission request" reaches the user. */
function supersedeOlder(state: PairState, newer: RequestRecord, at: Instant): void {
  const newerSent = sendInstant(newer, at);
  for (const rec of state.requests.values()) {
    if (rec === newer || rec.tentative) continue;
    if (sendInstant(rec, at) > newerSent || (sendInstant(rec, at) === newerSent && rec.id > newer.id))
      continue;
    expireRequest(rec, at);
    if (requestMove(rec, 'Superseded')) rec.expiresAt = at;
  }
}

function deliver(state: PairState, rec: RequestRecord, at: Instant, policy: Policy): void {
  if (rec.deliveredAt !== null) return;
  rec.deliveredAt = at;
  if (rec.tentative) return;
  if (requestMove(rec, 'Delivered')) rec.expiresAt = at + policy.requestExpirySeconds;
  supersedeOlder(state, rec, at);
}

function answer(
  state: PairState,
  rec: RequestRecord,
  event: 'Accepted' | 'Declined',
  at: Instant,
  policy: Policy,
): void {
  identify(state, rec, at, policy);
  expireRequest(rec, at);
  const wasDelivered = rec.deliveredAt !== null;
  if (!requestMove(rec, event)) return;
  rec.answeredAt = at;
  rec.expiresAt = at + policy.requestExpirySeconds;
  if (!wasDelivered) {
    rec.deliveredAt = at;
    supersedeOlder(state, rec, at);
  }
}

function grant(
  state: PairState,
  permanent: boolean,
  expiresAt: Instant,
  at: Instant,
  via: PairState['permission']['via'],
): void {
  expirePermission(state, at);
  if (!permissionMove(state, permanent ? 'PermanentGranted' : 'TemporaryGranted')) return;
  const p = state.permission;
  p.since = at;
  p.expiresAt = permanent ? null : expiresAt;
  p.via = via;
  p.revokedBy = null;
  state.unansweredStreak = 0;
}

function revoke(state: PairState, at: Instant, by: 'user' | 'automatic' | 'observed'): boolean {
  expirePermission(state, at);
  if (!permissionMove(state, 'Revoked')) return false;
  const p = state.permission;
  p.since = at;
  p.expiresAt = null;
  p.revokedBy = by;
  state.unansweredStreak = 0;
  return true;
}

function callRecord(
  state: PairState,
  id: string,
  direction: CallRecord['direction'],
  at: Instant,
): CallRecord {
  let call = state.calls.get(id);
  if (!call) {
    call = {
      direction,
      seenAt: at,
      attemptedAt: null,
      outcome: null,
      connectedAt: null,
      evidence: null,
      outcomeAt: null,
    };
    state.calls.set(id, call);
  }
  return call;
}

function pushCapped<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > KEPT_HISTORY) list.splice(0, list.length - KEPT_HISTORY);
}

/** An unanswered or rejected business-initiated call: the 2 → reconsider, 4 → revoke streak. */
function missed(
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
    pushCapped(state.notices, { type: 'reconsider_prompted', at, callId });
  }
  if (state.unansweredStreak >= policy.unansweredRevokeAt) {
    if (revoke(state, at, 'automatic')) pushCapped(state.notices, { type: 'auto_revoked', at, callId });
    state.unansweredStreak = 0;
  }
}

function connected(state: PairState, fact: Extract<PairFact, { type: 'CallConnected' }>): void {
  const call = callRecord(state, fact.callId, fact.direction, fact.at);
  const business = call.direction === 'business_initiated';
  if (call.outcome === 'connected') {
    // A start_time is the better evidence of when the call counts from than the ACCEPTED status.
    if (fact.evidence === 'start_time' && call.evidence === 'accepted' && call.connectedAt !== null) {
      if (business) {
        removeOne(state.connectedCalls, call.connectedAt);
        insertSorted(state.connectedCalls, fact.at);
      }
      call.connectedAt = fact.at;
      call.evidence = 'start_time';
    }
    return;
  }
  call.outcome = 'connected';
  call.outcomeAt = fact.at;
  call.connectedAt = fact.at;
  call.evidence = fact.evidence;
  if (business) insertSorted(state.connectedCalls, fact.at);
  // "These limits reset when any connected call (business-initiated/user-initiated) is made".
  state.requestLimitResetAt = Math.max(state.requestLimitResetAt ?? fact.at, fact.at);
  state.unansweredStreak = 0;
}

function note(
  state: PairState,
  at: Instant,
  field: string,
  ours: string | number | null,
  meta: string | number | null,
): void {
  pushCapped(state.discrepancies, { at, field, ours, meta });
}

function observe(
  state: PairState,
  fact: Extract<PairFact, { type: 'PermissionObserved' }>,
  policy: Policy,
): void {
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

/** Bounds the state: entries that can no longer count in any window, or change any answer, are dropped. */
function prune(state: PairState, policy: Policy, at: Instant): void {
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

/**
 * Applies one fact to a state the caller owns (a draft or a private copy). Facts must come in fact order
 * (`compareFacts`); the engine re-folds from an earlier snapshot when a late fact arrives.
 */
export function applyFact(state: PairState, fact: PairFact, env: RuleEnv): void {
  const at = fact.at;
  const policy = env.policyAt(at);
  expirePermission(state, at);
  switch (fact.type) {
    case 'RequestSent': {
      const rec = requestRecord(state, fact.requestId);
      if (rec.sentAt === null || at < rec.sentAt) rec.sentAt = at;
      if (fact.channel !== 'unknown') rec.channel = fact.channel;
      if (!fact.tentative) identify(state, rec, at, policy);
      break;
    }
    case 'RequestDelivered':
    case 'RequestRead':
      deliver(state, requestRecord(state, fact.requestId), at, policy);
      break;
    case 'RequestFailed': {
      const rec = requestRecord(state, fact.requestId);
      if (rec.failedAt === null) rec.failedAt = at;
      if (!rec.tentative && requestMove(rec, 'Failed')) rec.expiresAt = null;
      break;
    }
    case 'PermissionGranted':
      if (fact.requestId !== undefined)
        answer(state, requestRecord(state, fact.requestId), 'Accepted', at, policy);
      // An automatic callback grant never downgrades a permanent permission.
      if (fact.via === 'callback' && state.permission.status === 'permanent') break;
      grant(state, fact.permanent, fact.expiresAt ?? at + policy.temporaryGrantSeconds, at, fact.via);
      break;
    case 'PermissionDeclined':
      answer(state, requestRecord(state, fact.requestId), 'Declined', at, policy);
      break;
    case 'PermissionRevoked':
      revoke(state, at, fact.by);
      break;
    case 'CallAttempted': {
      const call = callRecord(state, fact.callId, 'business_initiated', at);
      if (call.attemptedAt === null) call.attemptedAt = at;
      break;
    }
    case 'CallConnected':
      connected(state, fact);
      break;
    case 'CallUnanswered':
      missed(state, fact.callId, 'unanswered', at, policy);
      break;
    case 'CallRejected':
      missed(state, fact.callId, 'rejected', at, policy);
      break;
    case 'UserMessaged':
      state.lastUserActivityAt = Math.max(state.lastUserActivityAt ?? at, at);
      break;
    case 'UserCalled':
      state.lastUserActivityAt = Math.max(state.lastUserActivityAt ?? at, at);
      callRecord(state, fact.callId, 'user_initiated', at);
      if (env.callbackEnabledAt(at) && state.permission.status !== 'permanent') {
        grant(state, false, at + policy.temporaryGrantSeconds, at, 'callback');
      }
      break;
    case 'PermissionObserved':
      observe(state, fact, policy);
      break;
  }
  prune(state, policy, at);
  state.facts += 1;
  const last = state.last;
  if (last === null) state.last = { at, rank: factRank(fact.type), key: fact.key };
  else {
    // The state is the caller's own: reuse the position object instead of allocating one per fact.
    last.at = at;
    last.rank = factRank(fact.type);
    last.key = fact.key;
  }
}

/** Folds facts (in any order; they are sorted here) onto a copy of `state`. */
export function fold(state: PairState, facts: readonly PairFact[], env: RuleEnv): PairState {
  const next = clonePairState(state);
  const sorted = [...facts].sort(compareFacts);
  for (const fact of sorted) applyFact(next, fact, env);
  return next;
}

/** One step of the Decider: the state after `fact`, leaving `state` untouched (immer copy-on-write). */
export function evolve(state: PairState, fact: PairFact, env: RuleEnv): PairState {
  return produce(state, (draft) => {
    applyFact(draft, fact, env);
  });
}

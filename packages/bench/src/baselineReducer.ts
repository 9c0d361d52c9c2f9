import { factRank, type PairFact, type Policy, type RuleEnv } from '@callpermit/core';

/*
 * The fold benchmark's baseline: the same per-fact work as core's `evolve` (the same state fields, the
 * same windows, the same lifecycle moves), written as one plain switch reducer with numeric lifecycle
 * codes, Maps, and the policy read once. It answers "what would a hand-tuned reducer cost?"; the
 * benchmark checks that it reaches the same states as core before timing either.
 */

const SENT = 0;
const DELIVERED = 1;
const ACCEPTED = 2;
const DECLINED = 3;
const EXPIRED = 4;
const SUPERSEDED = 5;
const FAILED = 6;
const REQUEST_NAMES = ['sent', 'delivered', 'accepted', 'declined', 'expired', 'superseded', 'failed'];

const NONE = 0;
const TEMPORARY = 1;
const PERMANENT = 2;
const REVOKED = 3;
const LAPSED = 4;
const PERMISSION_NAMES = ['none', 'temporary', 'permanent', 'revoked', 'expired'];

interface Req {
  id: string;
  channel: string;
  tentative: boolean;
  life: number;
  sentAt: number | null;
  deliveredAt: number | null;
  answeredAt: number | null;
  failedAt: number | null;
  expiresAt: number | null;
}

interface Call {
  business: boolean;
  attemptedAt: number | null;
  /** 0 none, 1 connected, 2 unanswered, 3 rejected */
  outcome: number;
  connectedAt: number | null;
  startTimeEvidence: boolean;
  outcomeAt: number | null;
}

export interface BaselineState {
  facts: number;
  lastAt: number;
  lastRank: number;
  lastKey: string;
  permission: number;
  permissionSince: number | null;
  permissionExpiresAt: number | null;
  via: string | null;
  revokedBy: string | null;
  requests: Map<string, Req>;
  sends: number[];
  resetAt: number | null;
  connectedCalls: number[];
  calls: Map<string, Call>;
  streak: number;
  lastUserActivityAt: number | null;
  notices: { type: string; at: number; callId: string }[];
  discrepancies: {
    at: number;
    field: string;
    ours: string | number | null;
    meta: string | number | null;
    origin?: 'lifecycle';
  }[];
  lastObservedAt: number | null;
  lastObservedStatus: string | null;
}

export function initialBaselineState(): BaselineState {
  return {
    facts: 0,
    lastAt: 0,
    lastRank: 0,
    lastKey: '',
    permission: NONE,
    permissionSince: null,
    permissionExpiresAt: null,
    via: null,
    revokedBy: null,
    requests: new Map(),
    sends: [],
    resetAt: null,
    connectedCalls: [],
    calls: new Map(),
    streak: 0,
    lastUserActivityAt: null,
    notices: [],
    discrepancies: [],
    lastObservedAt: null,
    lastObservedStatus: null,
  };
}

/** Folds facts already in fact order onto `s`. */
export class BaselineReducer {
  private readonly temporarySeconds: number;
  private readonly expirySeconds: number;
  private readonly reconsiderAt: number;
  private readonly revokeAt: number;
  private readonly horizonWindow: number;
  private readonly staleWindow: number;

  constructor(
    private readonly policy: Policy,
    private readonly callbackEnabledAt: RuleEnv['callbackEnabledAt'],
  ) {
    this.temporarySeconds = policy.temporaryGrantSeconds;
    this.expirySeconds = policy.requestExpirySeconds;
    this.reconsiderAt = policy.unansweredReconsiderAt;
    this.revokeAt = policy.unansweredRevokeAt;
    let longest = 0;
    for (const l of policy.requestLimits) if (l.periodSeconds > longest) longest = l.periodSeconds;
    for (const l of policy.connectedCallLimits) if (l.periodSeconds > longest) longest = l.periodSeconds;
    this.horizonWindow = 2 * longest;
    this.staleWindow = 2 * Math.max(this.expirySeconds, longest);
  }

  apply(s: BaselineState, f: PairFact): void {
    const at = f.at;
    this.expirePermission(s, at);
    switch (f.type) {
      case 'RequestSent': {
        const rec = this.request(s, f.requestId);
        if (rec.sentAt === null || at < rec.sentAt) rec.sentAt = at;
        if (f.channel !== 'unknown') rec.channel = f.channel;
        if (!f.tentative) this.identify(s, rec, at);
        break;
      }
      case 'RequestDelivered':
      case 'RequestRead': {
        const rec = this.request(s, f.requestId);
        if (rec.deliveredAt !== null) break;
        rec.deliveredAt = at;
        if (rec.tentative) break;
        if (rec.life === SENT) {
          rec.life = DELIVERED;
          rec.expiresAt = at + this.expirySeconds;
        }
        this.supersedeOlder(s, rec, at);
        break;
      }
      case 'RequestFailed': {
        const rec = this.request(s, f.requestId);
        if (rec.failedAt === null) rec.failedAt = at;
        if (!rec.tentative && rec.life === SENT) {
          rec.life = FAILED;
          rec.expiresAt = null;
        }
        break;
      }
      case 'PermissionGranted':
        if (f.requestId !== undefined) this.answer(s, this.request(s, f.requestId), true, at);
        if (f.via === 'callback' && s.permission === PERMANENT) break;
        this.grant(s, f.permanent, f.expiresAt ?? at + this.temporarySeconds, at, f.via);
        break;
      case 'PermissionDeclined':
        this.answer(s, this.request(s, f.requestId), false, at);
        break;
      case 'PermissionRevoked':
        this.revoke(s, at, f.by);
        break;
      case 'CallAttempted': {
        const call = this.call(s, f.callId, true);
        if (call.attemptedAt === null) call.attemptedAt = at;
        break;
      }
      case 'CallConnected': {
        const call = this.call(s, f.callId, f.direction === 'business_initiated');
        if (call.outcome === 1) {
          if (f.evidence === 'start_time' && !call.startTimeEvidence && call.connectedAt !== null) {
            if (call.business) {
              const i = s.connectedCalls.indexOf(call.connectedAt);
              if (i >= 0) s.connectedCalls.splice(i, 1);
              insertSorted(s.connectedCalls, at);
            }
            call.connectedAt = at;
            call.startTimeEvidence = true;
          }
          break;
        }
        call.outcome = 1;
        call.outcomeAt = at;
        call.connectedAt = at;
        call.startTimeEvidence = f.evidence === 'start_time';
        if (call.business) insertSorted(s.connectedCalls, at);
        if (s.resetAt === null || at > s.resetAt) s.resetAt = at;
        s.streak = 0;
        break;
      }
      case 'CallUnanswered':
        this.missed(s, f.callId, 2, at);
        break;
      case 'CallRejected':
        this.missed(s, f.callId, 3, at);
        break;
      case 'UserMessaged':
        if (s.lastUserActivityAt === null || at > s.lastUserActivityAt) s.lastUserActivityAt = at;
        break;
      case 'UserCalled':
        if (s.lastUserActivityAt === null || at > s.lastUserActivityAt) s.lastUserActivityAt = at;
        this.call(s, f.callId, false);
        if (s.permission !== PERMANENT && this.callbackEnabledAt(at))
          this.grant(s, false, at + this.temporarySeconds, at, 'callback');
        break;
      case 'PermissionObserved':
        this.observe(s, f);
        break;
    }
    this.prune(s, at);
    s.facts += 1;
    s.lastAt = at;
    s.lastRank = factRank(f.type);
    s.lastKey = f.key;
  }

  private request(s: BaselineState, id: string): Req {
    let rec = s.requests.get(id);
    if (rec === undefined) {
      rec = {
        id,
        channel: 'unknown',
        tentative: true,
        life: SENT,
        sentAt: null,
        deliveredAt: null,
        answeredAt: null,
        failedAt: null,
        expiresAt: null,
      };
      s.requests.set(id, rec);
    }
    return rec;
  }

  private call(s: BaselineState, id: string, business: boolean): Call {
    let call = s.calls.get(id);
    if (call === undefined) {
      call = {
        business,
        attemptedAt: null,
        outcome: 0,
        connectedAt: null,
        startTimeEvidence: false,
        outcomeAt: null,
      };
      s.calls.set(id, call);
    }
    return call;
  }

  private expirePermission(s: BaselineState, at: number): void {
    if (s.permission === TEMPORARY && s.permissionExpiresAt !== null && at >= s.permissionExpiresAt) {
      s.permission = LAPSED;
      s.permissionSince = s.permissionExpiresAt;
    }
  }

  private identify(s: BaselineState, rec: Req, at: number): void {
    if (!rec.tentative) return;
    rec.tentative = false;
    insertSorted(s.sends, rec.sentAt ?? rec.deliveredAt ?? at);
    if (rec.failedAt !== null) {
      if (rec.life === SENT) rec.life = FAILED;
    } else if (rec.deliveredAt !== null) {
      if (rec.life === SENT) {
        rec.life = DELIVERED;
        rec.expiresAt = rec.deliveredAt + this.expirySeconds;
      }
      this.supersedeOlder(s, rec, rec.deliveredAt);
    }
  }

  private supersedeOlder(s: BaselineState, newer: Req, at: number): void {
    const newerSent = newer.sentAt ?? newer.deliveredAt ?? at;
    for (const rec of s.requests.values()) {
      if (rec === newer || rec.tentative) continue;
      const sent = rec.sentAt ?? rec.deliveredAt ?? at;
      if (sent > newerSent || (sent === newerSent && rec.id > newer.id)) continue;
      if (rec.expiresAt !== null && at >= rec.expiresAt && rec.life >= DELIVERED && rec.life <= DECLINED)
        rec.life = EXPIRED;
      if (rec.life <= DECLINED) {
        rec.life = SUPERSEDED;
        rec.expiresAt = at;
      }
    }
  }

  private answer(s: BaselineState, rec: Req, accept: boolean, at: number): void {
    this.identify(s, rec, at);
    if (rec.expiresAt !== null && at >= rec.expiresAt && rec.life >= DELIVERED && rec.life <= DECLINED)
      rec.life = EXPIRED;
    const wasDelivered = rec.deliveredAt !== null;
    const said = accept ? ACCEPTED : DECLINED;
    const takes = accept
      ? rec.life === SENT || rec.life === DELIVERED || rec.life === DECLINED
      : rec.life === SENT || rec.life === DELIVERED;
    if (!takes) {
      // An answer the lifecycle cannot take is kept as a discrepancy, unless it repeats the state.
      if (rec.life !== said)
        pushCapped(s.discrepancies, {
          at,
          field: `request.${rec.id}.lifecycle`,
          ours: REQUEST_NAMES[rec.life] as string,
          meta: REQUEST_NAMES[said] as string,
          origin: 'lifecycle',
        });
      return;
    }
    rec.life = said;
    rec.answeredAt = at;
    rec.expiresAt = at + this.expirySeconds;
    if (!wasDelivered) {
      rec.deliveredAt = at;
      this.supersedeOlder(s, rec, at);
    }
  }

  private grant(s: BaselineState, permanent: boolean, expiresAt: number, at: number, via: string): void {
    this.expirePermission(s, at);
    // Every state accepts a grant, permanent ones included: granting again starts afresh.
    if (permanent) {
      s.permission = PERMANENT;
      s.permissionExpiresAt = null;
    } else {
      s.permission = TEMPORARY;
      s.permissionExpiresAt = expiresAt;
    }
    s.permissionSince = at;
    s.via = via;
    s.revokedBy = null;
    s.streak = 0;
  }

  private revoke(s: BaselineState, at: number, by: string): boolean {
    this.expirePermission(s, at);
    if (s.permission !== TEMPORARY && s.permission !== PERMANENT) return false;
    s.permission = REVOKED;
    s.permissionSince = at;
    s.permissionExpiresAt = null;
    s.revokedBy = by;
    s.streak = 0;
    return true;
  }

  private missed(s: BaselineState, callId: string, outcome: number, at: number): void {
    const call = this.call(s, callId, true);
    if (call.outcome !== 0) return;
    call.outcome = outcome;
    call.outcomeAt = at;
    s.streak += 1;
    if (s.streak === this.reconsiderAt) pushCapped(s.notices, { type: 'reconsider_prompted', at, callId });
    if (s.streak >= this.revokeAt) {
      if (this.revoke(s, at, 'automatic')) pushCapped(s.notices, { type: 'auto_revoked', at, callId });
      s.streak = 0;
    }
  }

  private observe(s: BaselineState, f: Extract<PairFact, { type: 'PermissionObserved' }>): void {
    const at = f.at;
    const active =
      s.permission === PERMANENT ||
      (s.permission === TEMPORARY && s.permissionExpiresAt !== null && at < s.permissionExpiresAt);
    const ours = s.permission === PERMANENT ? 'permanent' : active ? 'temporary' : 'no_permission';
    const oursExpiresAt = ours === 'temporary' ? s.permissionExpiresAt : null;
    if (ours !== f.status)
      pushCapped(s.discrepancies, { at, field: 'permission.status', ours, meta: f.status });
    if (f.status === 'temporary' && ours === 'temporary' && oursExpiresAt !== (f.expiresAt ?? null))
      pushCapped(s.discrepancies, {
        at,
        field: 'permission.expiration_time',
        ours: oursExpiresAt,
        meta: f.expiresAt ?? null,
      });
    for (const u of f.usage ?? []) {
      const calls = u.action === 'start_call';
      const limits = calls ? this.policy.connectedCallLimits : this.policy.requestLimits;
      let usage: number | null = null;
      let max: number | null = null;
      for (const l of limits) {
        if (l.periodSeconds !== u.periodSeconds) continue;
        usage = calls
          ? countIn(s.connectedCalls, l.periodSeconds, at, null)
          : countIn(s.sends, l.periodSeconds, at, s.resetAt);
        max = l.maxAllowed;
        break;
      }
      const field = `${u.action}.${u.periodSeconds}s`;
      if (usage !== u.currentUsage)
        pushCapped(s.discrepancies, {
          at,
          field: `${field}.current_usage`,
          ours: usage,
          meta: u.currentUsage,
        });
      if (max !== u.maxAllowed)
        pushCapped(s.discrepancies, { at, field: `${field}.max_allowed`, ours: max, meta: u.maxAllowed });
    }
    s.lastObservedAt = at;
    s.lastObservedStatus = f.status;
    if (f.status === 'permanent' && ours !== 'permanent') this.grant(s, true, 0, at, 'observed');
    else if (f.status === 'temporary') {
      const expiresAt = f.expiresAt ?? oursExpiresAt ?? at + this.temporarySeconds;
      if (ours !== 'temporary' || oursExpiresAt !== expiresAt)
        this.grant(s, false, expiresAt, at, 'observed');
    } else if (f.status === 'no_permission' && ours !== 'no_permission') this.revoke(s, at, 'observed');
  }

  private prune(s: BaselineState, at: number): void {
    const horizon = at - this.horizonWindow;
    dropUntil(s.sends, horizon);
    dropUntil(s.connectedCalls, horizon);
    if (s.facts % 32 !== 0) return;
    const stale = at - this.staleWindow;
    for (const [id, rec] of s.requests)
      if (rec.tentative && (rec.sentAt ?? rec.deliveredAt ?? rec.failedAt ?? at) < stale)
        s.requests.delete(id);
    for (const [id, call] of s.calls) {
      const seen = call.outcomeAt ?? call.attemptedAt;
      if (seen !== null && seen < stale) s.calls.delete(id);
    }
  }
}

function insertSorted(list: number[], value: number): void {
  let i = list.length;
  while (i > 0 && (list[i - 1] as number) > value) i--;
  if (i === list.length) list.push(value);
  else list.splice(i, 0, value);
}

function dropUntil(list: number[], horizon: number): void {
  let n = 0;
  while (n < list.length && (list[n] as number) <= horizon) n++;
  if (n > 0) list.splice(0, n);
}

function countIn(list: readonly number[], period: number, at: number, after: number | null): number {
  let n = 0;
  for (const s of list) if ((after === null || s >= after) && s <= at && at < s + period) n++;
  return n;
}

function pushCapped<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > 50) list.shift();
}

/** The observable outcome of a fold, in one comparable form for core's state and the baseline's. */
export interface FoldSummary {
  permission: string;
  since: number | null;
  expiresAt: number | null;
  streak: number;
  sends: number[];
  connectedCalls: number[];
  lastUserActivityAt: number | null;
  requests: string[];
  notices: number;
  discrepancies: number;
}

export function baselineSummary(s: BaselineState): FoldSummary {
  return {
    permission: PERMISSION_NAMES[s.permission] as string,
    since: s.permissionSince,
    expiresAt: s.permissionExpiresAt,
    streak: s.streak,
    sends: s.sends,
    connectedCalls: s.connectedCalls,
    lastUserActivityAt: s.lastUserActivityAt,
    requests: [...s.requests.values()]
      .filter((r) => !r.tentative)
      .map((r) => `${r.id}:${REQUEST_NAMES[r.life]}`)
      .sort(),
    notices: s.notices.length,
    discrepancies: s.discrepancies.length,
  };
}

import type { PermissionLifecycle } from '../machines/permissionMachine.js';
import type { RequestLifecycle } from '../machines/requestMachine.js';
import type { CallDirection, GrantVia, ObservedStatus, RequestChannel } from './facts.js';
import type { Instant } from './time.js';

/** One permission request message, as far as the facts tell. */
export interface RequestRecord {
  id: string;
  channel: RequestChannel;
  /** Seen only through a `sent` status so far: not known to be a permission request yet. */
  tentative: boolean;
  lifecycle: RequestLifecycle;
  sentAt: Instant | null;
  deliveredAt: Instant | null;
  answeredAt: Instant | null;
  failedAt: Instant | null;
  /** When the lifecycle reaches (or reached) `expired` or `superseded`. */
  expiresAt: Instant | null;
}

export interface CallRecord {
  direction: CallDirection;
  /** The first instant any fact named the call: what the sweep measures its age by. */
  seenAt: Instant;
  /** Set by a StartCall decision: the call holds a place in the limit until its outcome or the hold ends. */
  attemptedAt: Instant | null;
  outcome: 'connected' | 'unanswered' | 'rejected' | null;
  /** The instant the call counts from: start_time, else the ACCEPTED status. */
  connectedAt: Instant | null;
  evidence: 'start_time' | 'accepted' | null;
  outcomeAt: Instant | null;
}

export interface PermissionRecord {
  status: PermissionLifecycle;
  since: Instant | null;
  /** Only for temporary grants: the grant holds for t < expiresAt. */
  expiresAt: Instant | null;
  via: GrantVia | 'observed' | null;
  revokedBy: 'user' | 'automatic' | 'observed' | null;
}

/** Derived facts: what WhatsApp did on its own because of the unanswered streak. */
export interface Notice {
  type: 'reconsider_prompted' | 'auto_revoked';
  at: Instant;
  callId: string;
}

/** Where Meta's GET response disagreed with callpermit's own view at the same instant. Meta wins. */
export interface Discrepancy {
  at: Instant;
  field: string;
  ours: string | number | null;
  meta: string | number | null;
}

/** The position of the last folded fact in the fact order (instant, rank, key). */
export interface FoldPosition {
  at: Instant;
  rank: number;
  key: string;
}

/**
 * Everything the rules need about one pair, folded from its facts in fact order. JSON apart from its two
 * records maps: stores write it with `pairStateToJson` and read it back with `pairStateFromJson`. It answers
 * any query at an instant at or after `last.at`.
 */
export interface PairState {
  business: string;
  user: string;
  /** Facts folded so far. */
  facts: number;
  last: FoldPosition | null;
  permission: PermissionRecord;
  /** By message id. */
  requests: Map<string, RequestRecord>;
  /** Send instants of identified requests since the last connected call, ascending. */
  sends: Instant[];
  /** Requests sent before this instant no longer count: "These limits reset when any connected call is made". */
  requestLimitResetAt: Instant | null;
  /** Connection instants of business-initiated connected calls, ascending. */
  connectedCalls: Instant[];
  /** By call id. */
  calls: Map<string, CallRecord>;
  /** Consecutive unanswered-or-rejected business-initiated calls. */
  unansweredStreak: number;
  /** Last user message or user call: the customer-service window runs from here. */
  lastUserActivityAt: Instant | null;
  notices: Notice[];
  discrepancies: Discrepancy[];
  lastObserved: { at: Instant; status: ObservedStatus } | null;
  /**
   * The fold looks for records that stopped mattering (old requests, messages never identified as requests,
   * old calls) at the first fact after this instant; null: at the next fact.
   */
  sweepAfter: Instant | null;
}

export function initialPairState(business: string, user: string): PairState {
  return {
    business,
    user,
    facts: 0,
    last: null,
    permission: { status: 'none', since: null, expiresAt: null, via: null, revokedBy: null },
    requests: new Map(),
    sends: [],
    requestLimitResetAt: null,
    connectedCalls: [],
    calls: new Map(),
    unansweredStreak: 0,
    lastUserActivityAt: null,
    notices: [],
    discrepancies: [],
    lastObserved: null,
    sweepAfter: null,
  };
}

/** A deep copy the fold may mutate. */
export function clonePairState(state: PairState): PairState {
  const requests = new Map<string, RequestRecord>();
  for (const [id, rec] of state.requests) requests.set(id, { ...rec });
  const calls = new Map<string, CallRecord>();
  for (const [id, call] of state.calls) calls.set(id, { ...call });
  return {
    ...state,
    last: state.last && { ...state.last },
    permission: { ...state.permission },
    requests,
    sends: [...state.sends],
    connectedCalls: [...state.connectedCalls],
    calls,
    notices: state.notices.map((n) => ({ ...n })),
    discrepancies: state.discrepancies.map((d) => ({ ...d })),
    lastObserved: state.lastObserved && { ...state.lastObserved },
  };
}

/** A PairState as JSON keeps it: the records maps as objects keyed by id. */
export type PairStateJson = Omit<PairState, 'requests' | 'calls'> & {
  requests: Record<string, RequestRecord>;
  calls: Record<string, CallRecord>;
};

/** The JSON form of a state (for a store's snapshot): the records maps become objects keyed by id. */
export function pairStateToJson(state: PairState): PairStateJson {
  return { ...state, requests: byId(state.requests), calls: byId(state.calls) };
}

/**
 * An object keyed by id, in V8's dictionary mode (no prototype): built like a literal, each unique id would
 * make a new hidden class, on every commit of every head.
 */
function byId<T>(records: ReadonlyMap<string, T>): Record<string, T> {
  const out: Record<string, T> = Object.create(null);
  for (const [id, record] of records) out[id] = record;
  return out;
}

/**
 * A state from its JSON form. Records are Maps because ids are fresh strings from each webhook: a Map finds
 * them without interning each one as a property name, which made the fold's record lookups and sweeps about
 * twice as costly (packages/bench, replay.memory). States written before `sweepAfter` existed lack it; the
 * fold treats that as "sweep at the next fact".
 */
export function pairStateFromJson(json: PairStateJson): PairState {
  // `sweptAt` is what states before `sweepAfter` kept instead: it means nothing now.
  const { sweptAt: _replaced, ...state } = json as PairStateJson & { sweptAt?: unknown };
  return {
    ...state,
    requests: new Map(Object.entries(json.requests)),
    calls: new Map(Object.entries(json.calls)),
  };
}

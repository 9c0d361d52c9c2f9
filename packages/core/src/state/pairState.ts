// A pair's state: what the rules need about one pair, folded from its facts (the Decider's state), and the JSON
// form the stores keep it in.
import type { FoldPosition } from '../domain/factOrder.js';
import type { CallDirection, GrantVia, PermissionStatus, RequestChannel } from '../domain/facts.js';
import type { Instant } from '../domain/time.js';
import type { PermissionLifecycle } from '../machines/permissionMachine.js';
import type { RequestLifecycle } from '../machines/requestMachine.js';

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

/**
 * Where an input disagreed with callpermit's own view at the same instant. Absent `origin`: Meta's GET answer
 * (`meta` is Meta's value, and Meta wins). `origin: 'lifecycle'`: a request's lifecycle refused what an input
 * said of it (an answer to a request that had ended): `field` is `request.<id>.lifecycle`, `ours` the state
 * it stays in, `meta` the state the input would have led to.
 */
export interface Discrepancy {
  at: Instant;
  field: string;
  ours: string | number | null;
  meta: string | number | null;
  origin?: 'lifecycle';
}

/**
 * Everything the rules need about one pair, folded from its facts in fact order. JSON apart from its two
 * records maps: stores write it with `pairStateToJson` and read it back with `pairStateFromJson`. It answers
 * any query at an instant at or after `last.at`.
 */
export interface PairState {
  business: string;
  user: string;
  /** How many facts were folded (stored states before this name kept it as `facts`). */
  factCount: number;
  /** The position of the last folded fact. */
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
  lastObserved: { at: Instant; status: PermissionStatus } | null;
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
    factCount: 0,
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

/** The JSON forms stores may hold from before a field was renamed or replaced. */
type OlderPairStateJson = PairStateJson & {
  /** Before `sweepAfter`: means nothing now. */
  sweptAt?: unknown;
  /** Before `factCount`: the same count. */
  facts?: number;
};

/**
 * A state from its JSON form. Records are Maps because ids are fresh strings from each webhook: a Map finds
 * them without interning each one as a property name, which made the fold's record lookups and sweeps about
 * twice as costly (packages/bench, replay.memory). States written before `sweepAfter` existed lack it; the
 * fold treats that as "sweep at the next fact". States written before `factCount` kept it as `facts`.
 */
export function pairStateFromJson(json: PairStateJson): PairState {
  const { sweptAt: _replaced, facts, ...state } = json as OlderPairStateJson;
  return {
    ...state,
    factCount: state.factCount ?? facts ?? 0,
    requests: new Map(Object.entries(json.requests)),
    calls: new Map(Object.entries(json.calls)),
  };
}

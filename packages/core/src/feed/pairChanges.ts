// The change feed's one function: the changes of a pair's watched view (views/pairView.ts) between two
// instants, walking the pair's facts in fact order and, between them, the instants time alone changes an
// answer (changeInstants, and policy eras). Each change has its instant, its cause (a fact, or time) and the
// new value of the part it changes; `applyChanges` puts them onto a view. Pure: the engine runs the same walk
// while it folds, and the CLI over a capture or a store.
import { compareFacts } from '../domain/factOrder.js';
import type { FactType, PairFact } from '../domain/facts.js';
import { type Pair, pairStreamId } from '../domain/pair.js';
import type { Instant } from '../domain/time.js';
import type { RuleEnv } from '../rules/businessSettings.js';
import { evolve } from '../rules/evolve.js';
import { clonePairState, initialPairState, type PairState } from '../state/pairState.js';
import { changeInstants } from '../views/changes.js';
import {
  type LimitWatch,
  type PairView,
  type PermissionWatch,
  type PromptWatch,
  pairView,
  type RequestWatch,
  sameLimit,
  samePermission,
  samePrompt,
  sameRequest,
  sameView,
  sameWindow,
  type WindowWatch,
} from '../views/pairView.js';
import { hashId } from './changeId.js';

/** Every kind of change, as subscribers filter them. */
export const changeKinds = [
  'permission.granted',
  'permission.declined',
  'permission.revoked',
  'permission.expired',
  'permission.reconsider_prompt',
  'request.sent',
  'request.delivered',
  'request.accepted',
  'request.declined',
  'request.expired',
  'request.superseded',
  'request.failed',
  'call_limit.reached',
  'call_limit.released',
  'request_limit.reached',
  'request_limit.released',
  'customer_service_window.opened',
  'customer_service_window.closed',
  'change.retracted',
] as const;
export type ChangeKind = (typeof changeKinds)[number];

/**
 * Why a change happened: a fact (its type and idempotency key), time reaching an instant (an expiry, a limit's
 * window), or a re-fold of the pair's history that found an earlier change no longer true (a business setting
 * that changed the past, a replay after a rule fix).
 */
export type ChangeCause =
  | { readonly kind: 'fact'; readonly type: FactType; readonly key: string }
  | { readonly kind: 'time' }
  | { readonly kind: 'refold' };

/** A correction: the change named is no longer true (a late fact rewrote the history it came from). */
export interface Retraction {
  readonly retracts: string;
  readonly kind: ChangeKind;
}

/** The new value of the part a change changes (`permission.declined`: the request the user declined). */
export type ChangeData =
  | PermissionWatch
  | RequestWatch
  | LimitWatch
  | WindowWatch
  | PromptWatch
  | { readonly request_id: string }
  | Retraction;

/** One change of a pair's watched view. */
export interface PairChange {
  /** Deterministic from (pair, kind, subject, instant, cause): a replay gives the same id. */
  readonly id: string;
  readonly kind: ChangeKind;
  /** When it happened (Unix seconds): a fact's instant, or the instant time changed the view. */
  readonly at: Instant;
  readonly business: string;
  readonly user: string;
  /** The request it concerns (request.*, permission.declined), or the change a retraction retracts. */
  readonly subject?: string;
  readonly cause: ChangeCause;
  readonly data: ChangeData;
}

export const TIME: ChangeCause = Object.freeze({ kind: 'time' });
export const REFOLD: ChangeCause = Object.freeze({ kind: 'refold' });

export function factCause(fact: PairFact): ChangeCause {
  return { kind: 'fact', type: fact.type, key: fact.key };
}

function causeKey(cause: ChangeCause): string {
  return cause.kind === 'fact' ? cause.key : cause.kind;
}

/** The id of a change: a pure hash of what makes it this change. */
export function changeId(
  pair: Pair,
  kind: ChangeKind,
  subject: string | undefined,
  at: Instant,
  cause: ChangeCause,
): string {
  return hashId([pairStreamId(pair), kind, subject ?? '', at, causeKey(cause)]);
}

function change(
  pair: Pair,
  kind: ChangeKind,
  at: Instant,
  cause: ChangeCause,
  data: ChangeData,
  subject?: string,
): PairChange {
  const id = changeId(pair, kind, subject, at, cause);
  const { business, user } = pair;
  return subject === undefined
    ? { id, kind, at, business, user, cause, data }
    : { id, kind, at, business, user, subject, cause, data };
}

function limitKind(part: 'request_limit' | 'call_limit', limit: LimitWatch): ChangeKind {
  return limit.reached ? `${part}.reached` : `${part}.released`;
}

function permissionKind(p: PermissionWatch): ChangeKind {
  if (p.status !== 'no_permission') return 'permission.granted';
  return p.ended === 'expired' ? 'permission.expired' : 'permission.revoked';
}

/**
 * The changes from `prev` to `next` at `at`, in a fixed order: requests (by id), the permission, the reconsider
 * prompt, the request limit, the call limit, the customer-service window. A request the state has forgotten
 * (long after it ended: docs/rules.md, "Pruning horizon") leaves the view without a change.
 */
export function viewChanges(
  pair: Pair,
  prev: PairView,
  next: PairView,
  at: Instant,
  cause: ChangeCause,
): PairChange[] {
  const out: PairChange[] = [];
  // Only the requests that changed are sorted (by id): most facts change none.
  const changed: string[] = [];
  if (next.requests !== prev.requests)
    for (const id in next.requests) {
      const before = prev.requests[id];
      if (before === undefined || !sameRequest(before, next.requests[id] as RequestWatch)) changed.push(id);
    }
  if (changed.length > 0)
    for (const id of changed.sort()) {
      const before = prev.requests[id];
      const after = next.requests[id] as RequestWatch;
      out.push(change(pair, `request.${after.state}`, at, cause, after, id));
      // The user's answer to a request is the permission's news too.
      if (after.state === 'declined' && before?.state !== 'declined')
        out.push(change(pair, 'permission.declined', at, cause, { request_id: id }, id));
    }
  if (!samePermission(prev.permission, next.permission))
    out.push(change(pair, permissionKind(next.permission), at, cause, next.permission));
  if (next.reconsider_prompt !== null && !samePrompt(prev.reconsider_prompt, next.reconsider_prompt))
    out.push(change(pair, 'permission.reconsider_prompt', at, cause, next.reconsider_prompt));
  if (!sameLimit(prev.request_limit, next.request_limit))
    out.push(change(pair, limitKind('request_limit', next.request_limit), at, cause, next.request_limit));
  if (!sameLimit(prev.call_limit, next.call_limit))
    out.push(change(pair, limitKind('call_limit', next.call_limit), at, cause, next.call_limit));
  const window = next.customer_service_window;
  if (!sameWindow(prev.customer_service_window, window))
    out.push(
      change(
        pair,
        window.open ? 'customer_service_window.opened' : 'customer_service_window.closed',
        at,
        cause,
        window,
      ),
    );
  return out;
}

/**
 * The instants in (`after`, `until`] at which time alone may change the view of `state` (with no new fact):
 * `changeInstants`, and the start of each policy era (a limit's size may change there). Between eras each
 * stretch is asked under its own policy.
 */
export function timePoints(state: PairState, after: Instant, until: Instant, env: RuleEnv): Instant[] {
  const eras = (env.policyChangesAt ?? []).filter((t) => t > after && t <= until);
  if (eras.length === 0) return changeInstants(state, after, until, env);
  const found = new Set<Instant>();
  let from = after;
  for (const end of [...eras, until]) {
    for (const t of changeInstants(state, from, end, env)) found.add(t);
    found.add(end);
    from = end;
  }
  return [...found].sort((a, b) => a - b);
}

/**
 * The walk the change feed makes beside a fold: `start` once the state holds every fact at or before `after`
 * (the view there is what was reported already), then `before` and `after` around each fact folded, and
 * `finish` for the time after the last fact. Facts come in fact order, none before `after`.
 */
export class ChangeWalk {
  readonly changes: PairChange[] = [];
  private view: PairView | undefined;
  private cursor: Instant;

  constructor(
    private readonly pair: Pair,
    private readonly env: RuleEnv,
    after: Instant,
  ) {
    this.cursor = after;
  }

  get started(): boolean {
    return this.view !== undefined;
  }

  /** The view at the instant the walk has reached (after `finish`, at `until`); undefined before `start`. */
  get current(): PairView | undefined {
    return this.view;
  }

  /** The view at `after`, from which changes are counted. */
  start(state: PairState): void {
    this.view = pairView(state, this.cursor, this.env);
  }

  /** Before `fact` is folded: what time changed up to its instant (time reaching it comes first, as in evolve). */
  before(state: PairState, fact: PairFact): void {
    this.timeUntil(state, fact.at);
  }

  /** After `fact` is folded: what it changed. */
  after(state: PairState, fact: PairFact): void {
    this.emit(pairView(state, fact.at, this.env, this.view), fact.at, factCause(fact));
  }

  /** What time changed after the last fact, up to `until`. */
  finish(state: PairState, until: Instant): void {
    if (this.view === undefined) this.start(state);
    this.timeUntil(state, until);
  }

  private timeUntil(state: PairState, until: Instant): void {
    if (until <= this.cursor) return;
    for (const t of timePoints(state, this.cursor, until, this.env))
      this.emit(pairView(state, t, this.env, this.view), t, TIME);
    this.cursor = until;
  }

  private emit(next: PairView, at: Instant, cause: ChangeCause): void {
    const prev = this.view as PairView;
    if (next !== prev) for (const c of viewChanges(this.pair, prev, next, at, cause)) this.changes.push(c);
    this.view = next;
  }
}

/**
 * The changes of the pair's view in (`after`, `until`]: `state` is folded through every fact at or before
 * `after` (its view there is the starting point), `facts` are the pair's later facts (any order; those after
 * `until` are left out). Time changes before facts of the same instant, as in the fold. `state` is not changed.
 */
export function pairChanges(
  state: PairState,
  facts: readonly PairFact[],
  after: Instant,
  until: Instant,
  env: RuleEnv,
): PairChange[] {
  const s = clonePairState(state);
  const walk = new ChangeWalk({ business: state.business, user: state.user }, env, after);
  walk.start(s);
  for (const fact of [...facts].sort(compareFacts)) {
    if (fact.at > until) break;
    walk.before(s, fact);
    evolve(s, fact, env);
    walk.after(s, fact);
  }
  walk.finish(s, until);
  return walk.changes;
}

/**
 * The changes of a pair's view over its history (its facts, any order) in (`since`, `until`]; without `since`,
 * from before its first fact. `changesBetween(A, C)` is `changesBetween(A, B)` then `changesBetween(B, C)`.
 */
export function changesBetween(
  pair: Pair,
  facts: readonly PairFact[],
  until: Instant,
  env: RuleEnv,
  since: Instant = Number.NEGATIVE_INFINITY,
): PairChange[] {
  const sorted = [...facts].sort(compareFacts);
  const state = initialPairState(pair.business, pair.user);
  let i = 0;
  for (; i < sorted.length && (sorted[i] as PairFact).at <= since; i++)
    evolve(state, sorted[i] as PairFact, env);
  return pairChanges(state, sorted.slice(i), since, until, env);
}

/**
 * The first instant after `at` at which the pair's view changes with no new fact (a permission or request
 * expires, a limit frees, the window closes), or null if none ever will. The feed materialises time-driven
 * changes when this instant passes. `now`, when the caller has it, is the pair's view at `at`.
 */
export function nextChangeAt(
  state: PairState,
  at: Instant,
  env: RuleEnv,
  now: PairView = pairView(state, at, env),
): Instant | null {
  for (const t of timePoints(state, at, Number.POSITIVE_INFINITY, env))
    if (!sameView(pairView(state, t, env, now), now)) return t;
  return null;
}

/** `view` with `changes` applied, in order: each sets the part it carries (a retraction changes nothing). */
export function applyChanges(view: PairView, changes: readonly PairChange[]): PairView {
  let out = view;
  for (const c of changes) {
    const [part] = c.kind.split('.') as [string];
    switch (part) {
      case 'permission':
        if (c.kind === 'permission.reconsider_prompt')
          out = { ...out, reconsider_prompt: c.data as PromptWatch };
        else if (c.kind !== 'permission.declined') out = { ...out, permission: c.data as PermissionWatch };
        break;
      case 'request': {
        const r = c.data as RequestWatch;
        out = { ...out, requests: { ...out.requests, [r.request_id]: r } };
        break;
      }
      case 'call_limit':
      case 'request_limit':
        out = { ...out, [part]: c.data as LimitWatch };
        break;
      case 'customer_service_window':
        out = { ...out, customer_service_window: c.data as WindowWatch };
        break;
    }
  }
  return out;
}

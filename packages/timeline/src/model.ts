// A pair's history → the timeline a person looks at. Every value comes from the Engine's own answers
// (its folded state and core's views of it) at the instants that matter: each fact's instant, and each
// instant at which time alone changes an answer (core's changeInstants: expiries, windows, holds). Nothing
// here re-implements a rule.
import {
  callPermissions,
  changeInstants,
  type Engine,
  type Instant,
  type Notice,
  type Pair,
  type PolicyBook,
  pairStreamId,
  type RequestLifecycle,
  requests as requestViews,
} from '@callpermit/core';

export type PermissionBandStatus = 'none' | 'temporary' | 'permanent';

/** The permission over [from, to): none, temporary (with its expiry) or permanent. */
export interface PermissionBand {
  readonly from: Instant;
  readonly to: Instant;
  readonly status: PermissionBandStatus;
  readonly expiresAt?: Instant;
}

/** One stretch of a request's lifecycle. */
export interface RequestSegment {
  readonly from: Instant;
  readonly to: Instant;
  readonly state: RequestLifecycle;
}

/** A permission request message through its lifecycle. */
export interface RequestBar {
  readonly id: string;
  /** What the caller calls it (a scenario's request name), when it gave one. */
  readonly label?: string;
  readonly channel: string;
  readonly segments: readonly RequestSegment[];
  /** How it ended (expired, superseded, failed) and when, if it did within the timeline. */
  readonly ended?: { readonly at: Instant; readonly state: RequestLifecycle };
}

/** Usage of one limit window as a step line: from each point on, `used` of `max`. */
export interface UsageSeries {
  readonly action: 'send_call_permission_request' | 'start_call';
  readonly period: string;
  readonly points: readonly { readonly at: Instant; readonly used: number; readonly max: number }[];
}

export type CallOutcome = 'connected' | 'unanswered' | 'rejected' | 'pending';

export interface CallMark {
  readonly id: string;
  readonly at: Instant;
  readonly direction: 'business_initiated' | 'user_initiated';
  readonly outcome: CallOutcome;
}

export interface NoticeMark {
  readonly at: Instant;
  readonly type: Notice['type'];
  readonly callId: string;
}

/** A business action refused, with Meta's error code: the scenario's decisions, or Graph calls Meta refused. */
export interface RefusalMark {
  readonly at: Instant;
  readonly action: 'send_call_permission_request' | 'start_call';
  readonly code: number;
  readonly title: string;
  /** Where it comes from: a scenario step, a capture line. */
  readonly source?: string;
}

export interface TimelineModel {
  readonly business: string;
  readonly user: string;
  readonly from: Instant;
  readonly to: Instant;
  readonly permission: readonly PermissionBand[];
  readonly requests: readonly RequestBar[];
  readonly usage: readonly UsageSeries[];
  readonly calls: readonly CallMark[];
  readonly notices: readonly NoticeMark[];
  readonly refusals: readonly RefusalMark[];
  /** How many instants the engine was asked about. */
  readonly instants: number;
}

export interface TimelineInput {
  readonly engine: Engine;
  readonly pair: Pair;
  /** The policy the engine folds under: its eras start are instants that matter too. */
  readonly policy?: PolicyBook;
  readonly since?: Instant;
  readonly until?: Instant;
  readonly refusals?: readonly RefusalMark[];
  /** Names for request message ids (a scenario's request names), shown on the bars. */
  readonly requestNames?: ReadonlyMap<string, string>;
  /** The history goes on at least until here though no fact marks it (a scenario's last step). */
  readonly lastInstant?: Instant;
  /**
   * The current instant, for a pair nothing is known of (no fact, no refusal) and no range given: the page then
   * shows the week before it. The caller reads the clock; this module does not.
   */
  readonly now?: Instant;
}

/** After the last fact, the timeline runs on to show what time still changes (an expiry) up to this long. */
const TAIL = 8 * 86400;

/** Inserts into an ascending list without repeats. */
function insertInstant(list: Instant[], t: Instant): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((list[mid] as Instant) < t) lo = mid + 1;
    else hi = mid;
  }
  if (list[lo] !== t) list.splice(lo, 0, t);
}

/** The timeline of one pair between `since` and `until` (default: its whole history and what follows it). */
export async function buildTimeline(input: TimelineInput): Promise<TimelineModel> {
  const { engine, pair } = input;
  const facts = await engine.store.factsOf(pairStreamId(pair));
  const env = await engine.ruleEnv(pair.business);
  const refusedAt = (input.refusals ?? []).map((r) => r.at);
  const known = facts[0]?.at ?? (refusedAt.length > 0 ? Math.min(...refusedAt) : undefined);
  const first =
    known ??
    input.since ??
    (input.until === undefined ? undefined : input.until - 7 * 86400) ??
    input.lastInstant ??
    (input.now === undefined ? undefined : input.now - 7 * 86400);
  if (first === undefined)
    throw new RangeError(
      `nothing is known of ${pairStreamId(pair)} (no fact, no refusal): give a range (since, until) to draw`,
    );
  const lastFact = Math.max(
    facts.at(-1)?.at ?? first,
    input.lastInstant ?? first,
    ...(input.refusals ?? []).map((r) => r.at),
  );
  const from = input.since ?? first;
  let to = input.until;
  if (to === undefined) {
    const state = await engine.state(pair, lastFact);
    const pending = changeInstants(state, lastFact, lastFact + TAIL, env);
    to = Math.max(pending.at(-1) ?? lastFact, lastFact) + 3600;
  }
  if (to <= from) to = from + 3600;

  const instants: Instant[] = [];
  insertInstant(instants, from);
  insertInstant(instants, to);
  for (const f of facts) if (f.at > from && f.at < to) insertInstant(instants, f.at);
  for (const era of input.policy?.eras ?? [])
    if (era.from > from && era.from < to) insertInstant(instants, era.from);

  const bands: PermissionBand[] = [];
  const usage = new Map<string, UsageSeries & { points: { at: Instant; used: number; max: number }[] }>();
  const requestStates = new Map<string, { channel: string; segments: RequestSegment[] }>();
  const calls = new Map<string, CallMark>();
  const notices = new Map<string, NoticeMark>();

  let asked = 0;
  for (let i = 0; i < instants.length; i++) {
    const t = instants[i] as Instant;
    if (t > to) break;
    asked++;
    const state = await engine.state(pair, t);
    for (const c of changeInstants(state, t, to, env)) insertInstant(instants, c);
    const view = callPermissions(state, t, env);
    const status: PermissionBandStatus =
      view.permission.status === 'no_permission' ? 'none' : view.permission.status;
    const expiresAt = view.permission.expiration_time;
    const band = bands.at(-1);
    if (band && band.status === status && band.expiresAt === expiresAt) {
      // same band goes on
    } else {
      if (band) bands[bands.length - 1] = { ...band, to: t };
      bands.push({ from: t, to, status, ...(expiresAt === undefined ? {} : { expiresAt }) });
    }
    for (const action of view.actions) {
      for (const limit of action.limits) {
        const key = `${action.action_name}:${limit.time_period}`;
        let series = usage.get(key);
        if (!series) {
          series = { action: action.action_name, period: limit.time_period, points: [] };
          usage.set(key, series);
        }
        const last = series.points.at(-1);
        if (!last || last.used !== limit.current_usage || last.max !== limit.max_allowed)
          series.points.push({ at: t, used: limit.current_usage, max: limit.max_allowed });
      }
    }
    for (const r of requestViews(state, t)) {
      let entry = requestStates.get(r.id);
      const over = r.state === 'expired' || r.state === 'superseded' || r.state === 'failed';
      // A request that had ended before the timeline starts is not part of it.
      if (!entry && over && t === from && from > (r.sent_at ?? from)) continue;
      if (!entry) {
        entry = { channel: r.channel, segments: [] };
        requestStates.set(r.id, entry);
      }
      const start = Math.max(from, Math.min(t, r.sent_at ?? t));
      const segment = entry.segments.at(-1);
      if (!segment) entry.segments.push({ from: start, to, state: r.state });
      else if (segment.state !== r.state) {
        entry.segments[entry.segments.length - 1] = { ...segment, to: t };
        entry.segments.push({ from: t, to, state: r.state });
      }
    }
    for (const [id, call] of state.calls) {
      const at = call.connectedAt ?? call.attemptedAt ?? call.outcomeAt ?? call.seenAt;
      const outcome: CallOutcome = call.outcome ?? 'pending';
      if (at >= from && at <= to) calls.set(id, { id, at, direction: call.direction, outcome });
    }
    for (const n of state.notices)
      if (n.at >= from && n.at <= to) notices.set(`${n.type}:${n.at}:${n.callId}`, { ...n });
  }

  const requests: RequestBar[] = [];
  for (const [id, { channel, segments }] of requestStates) {
    const final = segments.at(-1);
    const ends =
      final && (final.state === 'expired' || final.state === 'superseded' || final.state === 'failed');
    const label = input.requestNames?.get(id);
    requests.push({
      id,
      ...(label === undefined ? {} : { label }),
      channel,
      segments: ends ? segments.slice(0, -1) : segments,
      ...(ends && final ? { ended: { at: final.from, state: final.state } } : {}),
    });
  }
  const startOf = (r: RequestBar) => r.segments[0]?.from ?? r.ended?.at ?? 0;
  requests.sort((a, b) => startOf(a) - startOf(b));

  return {
    business: pair.business,
    user: pair.user,
    from,
    to,
    permission: bands,
    requests,
    usage: [...usage.values()],
    calls: [...calls.values()].sort((a, b) => a.at - b.at),
    notices: [...notices.values()].sort((a, b) => a.at - b.at),
    refusals: (input.refusals ?? []).filter((r) => r.at >= from && r.at <= to).sort((a, b) => a.at - b.at),
    instants: asked,
  };
}

// Expectations checked against what the engine answered after a step: each one passed or failed, with
// the expected and the actual value side by side.
import { isoInstant } from '@callpermit/cloud-api';
import {
  durationSeconds,
  type Instant,
  type LimitView,
  type Notice,
  type PairChange,
} from '@callpermit/core';
import { requestName } from './names.js';
import type { ChangeExpectation, Expectation, NoticeName } from './scenario/schema.js';
import { parseDuration, resolveTime } from './scenario/time.js';
import type { BusinessAction, Snapshot } from './simulator.js';

export interface Check {
  /** Where the expectation is, under the step's `expect`. */
  readonly path: readonly (string | number)[];
  /** `can_call`, `usage.requests.PT24H`, `requests.first`… */
  readonly field: string;
  readonly expected: string;
  readonly actual: string;
  readonly passed: boolean;
  /** Set when the expectation cannot be checked (a bad time, no business action in the step). */
  readonly problem?: string;
}

export const NOTICE_NAMES: Record<Notice['type'], NoticeName> = {
  reconsider_prompted: 'reconsider prompt',
  auto_revoked: 'automatic revoke',
};

const show = (value: unknown): string =>
  value === undefined ? '(none)' : typeof value === 'string' ? value : JSON.stringify(value);

function check(path: (string | number)[], expected: unknown, actual: unknown): Check {
  const e = show(expected);
  const a = show(actual);
  return { path, field: path.join('.'), expected: e, actual: a, passed: e === a };
}

function problem(path: (string | number)[], reason: string): Check {
  return { path, field: path.join('.'), expected: '', actual: '', passed: false, problem: reason };
}

function time(text: string | number, start: Instant): Instant | string {
  return resolveTime(text, start);
}

function usageOf(limits: readonly LimitView[], period: string): string {
  const seconds = parseDuration(period);
  const limit = limits.find((l) => durationSeconds(l.time_period) === seconds);
  return limit === undefined ? `no ${period} limit` : String(limit.current_usage);
}

/** The keys a change expectation may give beside its kind, in the order they are shown. */
const CHANGE_KEYS = ['at', 'request', 'expires', 'until', 'via', 'by'] as const;
type ChangeKey = (typeof CHANGE_KEYS)[number];
const INSTANT_KEYS: ReadonlySet<ChangeKey> = new Set(['at', 'expires', 'until']);

/** What an actual change carries under each key an expectation may give. */
function changeValue(c: PairChange, key: ChangeKey): unknown {
  const data = c.data as unknown as Record<string, unknown>;
  switch (key) {
    case 'at':
      return c.at;
    case 'request':
      return c.kind === 'change.retracted' || c.subject === undefined ? undefined : requestName(c.subject);
    case 'expires':
      return data.expires_at;
    default:
      return data[key];
  }
}

const showValue = (key: ChangeKey, value: unknown) =>
  value !== undefined && INSTANT_KEYS.has(key) ? isoInstant(value as Instant) : show(value);

/**
 * The `changes` expectation: the list the feed told during the step against the list expected. Each change is
 * shown as the expected item at its place names it: its kind, and each other key that item gives, so the two
 * read side by side (`permission.granted at 2026-01-05T09:10:00Z via request`); a change beyond the expected
 * list shows its kind alone.
 */
function checkChanges(
  expected: readonly ChangeExpectation[],
  actual: readonly PairChange[],
  start: Instant,
): Check {
  const want: string[] = [];
  for (const [i, item] of expected.entries()) {
    if (typeof item === 'string') {
      want.push(item);
      continue;
    }
    const parts: string[] = [item.kind];
    for (const key of CHANGE_KEYS) {
      const given = item[key];
      if (given === undefined) continue;
      let value: unknown = given;
      if (INSTANT_KEYS.has(key)) {
        const at = time(given as string | number, start);
        if (typeof at === 'string') return problem(['changes', i, key], at);
        value = at;
      }
      parts.push(`${key} ${showValue(key, value)}`);
    }
    want.push(parts.join(' '));
  }
  const got = actual.map((c, i) => {
    const model = expected[i];
    if (typeof model !== 'object') return c.kind;
    const parts: string[] = [c.kind];
    for (const key of CHANGE_KEYS)
      if (model[key] !== undefined) parts.push(`${key} ${showValue(key, changeValue(c, key))}`);
    return parts.join(' ');
  });
  return check(['changes'], want, got);
}

export function checkExpectations(
  expect: Expectation,
  snapshot: Snapshot,
  actions: readonly BusinessAction[],
  start: Instant,
): Check[] {
  const out: Check[] = [];
  const { view } = snapshot;
  if (expect.permission !== undefined)
    out.push(check(['permission'], expect.permission, view.permission.status));
  if (expect.expires !== undefined) {
    const actual = view.permission.expiration_time;
    if (expect.expires === 'never')
      out.push(check(['expires'], 'never', actual === undefined ? 'never' : isoInstant(actual)));
    else {
      const at = time(expect.expires, start);
      if (typeof at === 'string') out.push(problem(['expires'], at));
      else out.push(check(['expires'], isoInstant(at), actual === undefined ? 'never' : isoInstant(actual)));
    }
  }
  const [ask, call] = view.actions;
  if (expect.can_ask !== undefined) out.push(check(['can_ask'], expect.can_ask, ask?.can_perform_action));
  if (expect.can_call !== undefined) out.push(check(['can_call'], expect.can_call, call?.can_perform_action));
  for (const [kind, limits] of [
    ['requests', ask?.limits ?? []],
    ['calls', call?.limits ?? []],
  ] as const) {
    for (const [period, used] of Object.entries(expect.usage?.[kind] ?? {}))
      out.push(check(['usage', kind, period], String(used), usageOf(limits, period)));
  }
  for (const [name, state] of Object.entries(expect.requests ?? {}))
    out.push(check(['requests', name], state, snapshot.requests[name] ?? 'not sent'));
  const last = actions.at(-1);
  const decision = last === undefined ? undefined : last.refusal ? `refused ${last.refusal.code}` : 'allowed';
  const needsAction =
    expect.allowed !== undefined || expect.refused !== undefined || expect.retry_at !== undefined;
  if (needsAction && last === undefined) {
    const key =
      expect.allowed !== undefined ? 'allowed' : expect.refused !== undefined ? 'refused' : 'retry_at';
    out.push(
      problem([key], 'this step has no business action (send request, call) to be allowed or refused'),
    );
  } else {
    if (expect.allowed !== undefined) out.push(check(['allowed'], 'allowed', decision));
    if (expect.refused !== undefined) out.push(check(['refused'], `refused ${expect.refused}`, decision));
    if (expect.retry_at !== undefined) {
      const at = time(expect.retry_at, start);
      const actual = last?.refusal?.retryAt;
      if (typeof at === 'string') out.push(problem(['retry_at'], at));
      else
        out.push(check(['retry_at'], isoInstant(at), actual === undefined ? undefined : isoInstant(actual)));
    }
  }
  if (expect.notices !== undefined)
    out.push(
      check(
        ['notices'],
        expect.notices,
        snapshot.notices.map((n) => NOTICE_NAMES[n.type]),
      ),
    );
  if (expect.unanswered_streak !== undefined)
    out.push(check(['unanswered_streak'], expect.unanswered_streak, snapshot.unansweredStreak));
  if (expect.changes !== undefined) {
    if (snapshot.changes === undefined)
      out.push(problem(['changes'], 'the change feed is off in this simulation'));
    else out.push(checkChanges(expect.changes, snapshot.changes, start));
  }
  return out;
}

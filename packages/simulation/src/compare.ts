// What-if: the same history folded under two policies. For each pair, the first instant where their answers
// diverge — may the business ask, may it call, the permission and its expiry (Meta's GET body), and the
// decision on each business action of the history — with the fact there and both answers; and how many of
// the history's requests and calls the second policy would have refused (or allowed) that the first did not.
// The fold, the views and the decisions are core's; this only walks the history in fact order.
import {
  type BusinessFact,
  businessRuleEnv,
  type CallPermissionsView,
  callPermissions,
  changeInstants,
  compareFacts,
  decide,
  evolve,
  type Fact,
  factRank,
  type Instant,
  initialPairState,
  isBusinessFact,
  type Pair,
  type PairFact,
  type PairState,
  type PolicyBook,
  pairStreamId,
  parseStreamId,
  type Refusal,
  type RuleEnv,
} from '@callpermit/core';
import type { History, HistoryAction } from './history.js';

/** What one policy answers at an instant: Meta's GET body, and the decision on the action there, if any. */
export interface Answer {
  readonly callPermissions: CallPermissionsView;
  readonly decision?: { readonly action: string; readonly allowed: boolean; readonly refusal?: Refusal };
}

export interface Divergence {
  readonly at: Instant;
  /** What happened there: a business action, the facts of that instant, or time alone (an expiry, a window). */
  readonly cause: string;
  readonly a: Answer;
  readonly b: Answer;
}

export interface ActionCounts {
  readonly total: number;
  readonly refusedByA: number;
  readonly refusedByB: number;
  /** Allowed under A, refused under B. */
  readonly onlyBRefuses: number;
  /** Refused under A, allowed under B. */
  readonly onlyARefuses: number;
}

export interface PairComparison {
  readonly pair: Pair;
  readonly requests: ActionCounts;
  readonly calls: ActionCounts;
  readonly firstDivergence?: Divergence;
}

/** After the history's last fact, time may still make the policies part (an expiry): looked at this long. */
const TAIL = 8 * 86400;

/** The part of an answer two policies are compared on: their own limits differ by definition (max_allowed). */
function gist(view: CallPermissionsView): string {
  return JSON.stringify({
    permission: view.permission,
    can: view.actions.map((a) => [a.action_name, a.can_perform_action]),
  });
}

function describeFacts(facts: readonly Fact[]): string {
  return facts.map((f) => `${f.type} (${f.source.ref})`).join(', ');
}

function describeAction(action: HistoryAction): string {
  const c = action.command;
  return c.type === 'StartCall'
    ? `business call (${action.source})`
    : `${c.channel === 'free_form' ? 'free-form' : 'template'} permission request (${action.source})`;
}

const emptyCounts = (): { -readonly [K in keyof ActionCounts]: number } => ({
  total: 0,
  refusedByA: 0,
  refusedByB: 0,
  onlyBRefuses: 0,
  onlyARefuses: 0,
});

/** One policy's fold of one pair: its own state and rules' environment. */
interface Side {
  readonly state: PairState;
  readonly env: RuleEnv;
}

type Step = { kind: 'fact'; fact: PairFact } | { kind: 'action'; action: HistoryAction };

/** Compares the policies on every pair of the history (or those `only` keeps). */
export function comparePolicies(
  history: History,
  a: PolicyBook,
  b: PolicyBook,
  only?: (pair: Pair) => boolean,
): PairComparison[] {
  const byPair = new Map<string, PairFact[]>();
  const businessFacts = new Map<string, BusinessFact[]>();
  for (const f of [...history.facts].sort(compareFacts)) {
    if (isBusinessFact(f)) {
      businessFacts.set(f.business, [...(businessFacts.get(f.business) ?? []), f]);
      continue;
    }
    const stream = pairStreamId(f.pair);
    byPair.set(stream, [...(byPair.get(stream) ?? []), f]);
  }
  const actionsByPair = new Map<string, HistoryAction[]>();
  for (const action of history.actions) {
    const stream = pairStreamId(action.pair);
    actionsByPair.set(stream, [...(actionsByPair.get(stream) ?? []), action]);
    if (!byPair.has(stream)) byPair.set(stream, []);
  }
  const out: PairComparison[] = [];
  for (const [stream, facts] of [...byPair].sort(([x], [y]) => (x < y ? -1 : 1))) {
    const pair = parseStreamId(stream);
    if (only && !only(pair)) continue;
    const settings = businessFacts.get(pair.business) ?? [];
    out.push(
      comparePair(
        pair,
        facts,
        actionsByPair.get(stream) ?? [],
        [a, b].map((book) => ({
          state: initialPairState(pair.business, pair.user),
          env: businessRuleEnv(book, pair.business, settings),
          book,
        })) as [Side & { book: PolicyBook }, Side & { book: PolicyBook }],
      ),
    );
  }
  return out;
}

function comparePair(
  pair: Pair,
  facts: readonly PairFact[],
  actions: readonly HistoryAction[],
  [sideA, sideB]: [Side & { book: PolicyBook }, Side & { book: PolicyBook }],
): PairComparison {
  // Each action sits just before the fact it made (its own key), or, refused, where its fact would have been.
  const byKey = new Map(actions.filter((x) => x.factKey !== undefined).map((x) => [x.factKey as string, x]));
  const steps: { at: Instant; rank: number; key: string; step: Step }[] = [];
  for (const fact of facts) {
    const action = byKey.get(fact.key);
    if (action)
      steps.push({
        at: fact.at,
        rank: factRank(fact.type),
        key: `${fact.key}\u0000`,
        step: { kind: 'action', action },
      });
    steps.push({
      at: fact.at,
      rank: factRank(fact.type),
      key: `${fact.key}\u0001`,
      step: { kind: 'fact', fact },
    });
  }
  for (const action of actions) {
    if (action.factKey !== undefined) continue;
    const type = action.command.type === 'StartCall' ? 'CallAttempted' : 'RequestSent';
    steps.push({
      at: action.at,
      rank: factRank(type),
      key: `refused:${action.source}`,
      step: { kind: 'action', action },
    });
  }
  steps.sort((x, y) => x.at - y.at || x.rank - y.rank || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));

  const requests = emptyCounts();
  const calls = emptyCounts();
  let divergence: Divergence | undefined;
  const eras = [...new Set([...sideA.book.eras, ...sideB.book.eras].map((e) => e.from))];
  const view = (side: Side, t: Instant) => callPermissions(side.state, t, side.env);
  const compareAt = (t: Instant, cause: () => string) => {
    if (divergence) return;
    const va = view(sideA, t);
    const vb = view(sideB, t);
    if (gist(va) !== gist(vb))
      divergence = { at: t, cause: cause(), a: { callPermissions: va }, b: { callPermissions: vb } };
  };
  /** Instants in (from, to) where time alone may change either side's answer. */
  const timeBetween = (from: Instant, to: Instant) => {
    const found = new Set<Instant>();
    for (const side of [sideA, sideB])
      for (const t of changeInstants(side.state, from, to - 1, side.env)) found.add(t);
    for (const t of eras) if (t > from && t < to) found.add(t);
    for (const t of [...found].sort((x, y) => x - y))
      compareAt(t, () => `time alone: no fact at ${t} (an expiry, a window, a policy era)`);
  };

  let current: Instant | undefined;
  let atCurrent: Fact[] = [];
  for (const { at, step } of steps) {
    if (current !== undefined && at > current) {
      compareAt(current, () => `the facts at this instant: ${describeFacts(atCurrent)}`);
      timeBetween(current, at);
      atCurrent = [];
    }
    current = at;
    if (step.kind === 'fact') {
      evolve(sideA.state, step.fact, sideA.env);
      evolve(sideB.state, step.fact, sideB.env);
      atCurrent.push(step.fact);
      continue;
    }
    const { action } = step;
    const da = decide(sideA.state, action.command, at, sideA.env);
    const db = decide(sideB.state, action.command, at, sideB.env);
    const counts = action.command.type === 'StartCall' ? calls : requests;
    counts.total++;
    if (!da.ok) counts.refusedByA++;
    if (!db.ok) counts.refusedByB++;
    if (da.ok && !db.ok) counts.onlyBRefuses++;
    if (!da.ok && db.ok) counts.onlyARefuses++;
    if (!divergence && (da.ok !== db.ok || (!da.ok && !db.ok && da.refusal.code !== db.refusal.code))) {
      const name = action.command.type === 'StartCall' ? 'start_call' : 'send_call_permission_request';
      const decision = (d: typeof da) =>
        d.ok ? { action: name, allowed: true } : { action: name, allowed: false, refusal: d.refusal };
      divergence = {
        at,
        cause: describeAction(action),
        a: { callPermissions: view(sideA, at), decision: decision(da) },
        b: { callPermissions: view(sideB, at), decision: decision(db) },
      };
    }
  }
  if (current !== undefined) {
    compareAt(current, () => `the facts at this instant: ${describeFacts(atCurrent)}`);
    timeBetween(current, current + TAIL);
  }
  return { pair, requests, calls, ...(divergence ? { firstDivergence: divergence } : {}) };
}

/** Totals over pairs. */
export function totalCounts(pairs: readonly PairComparison[]): {
  requests: ActionCounts;
  calls: ActionCounts;
} {
  const sum = (pick: (p: PairComparison) => ActionCounts) => {
    const total = emptyCounts();
    for (const p of pairs)
      for (const k of Object.keys(total) as (keyof ActionCounts)[]) total[k] += pick(p)[k];
    return total;
  };
  return { requests: sum((p) => p.requests), calls: sum((p) => p.calls) };
}

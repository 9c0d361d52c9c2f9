import {
  compareFacts,
  defaultPolicy,
  defaultPolicyBook,
  fold,
  initialPairState,
  type PairFact,
  type PairState,
  type PermissionEvent,
  permissionMachine,
  policyFor,
  type RequestEvent,
  type RequestRecord,
  type RuleEnv,
  requestMachine,
} from '@callpermit/core';
import { type AnyMachineSnapshot, initialTransition, transition } from 'xstate';
import {
  BaselineReducer,
  type BaselineState,
  baselineSummary,
  type FoldSummary,
  initialBaselineState,
} from '../baselineReducer.js';
import { type Benchmark, human, median, result, seconds } from '../benchmark.js';
import { generatePairHistories, type PairHistory } from '../factGenerator.js';

const PAIRS = 10_000;

/** The pair histories the fold is measured on (core.step takes its states from the same): 60 days each. */
export const FOLD_HISTORIES = { seed: 20260105, days: 60, meanGapSeconds: 36 * 3600, lateShare: 0.03 };
const ROUNDS = 5;
const XSTATE_SAMPLE_FACTS = 20_000;

/**
 * core.fold: folding every pair's facts with core's `fold` (sort, then `evolve` on a private copy: the
 * fast path the engine uses) against a hand-written switch reducer doing the same work over the same
 * sorted facts. Unit: facts folded per second.
 */
export const coreFold: Benchmark = {
  name: 'core.fold',
  async run(log) {
    const histories = generatePairHistories({ pairs: PAIRS, ...FOLD_HISTORIES });
    const facts = histories.reduce((n, h) => n + h.facts.length, 0);
    log(`core.fold: ${PAIRS} pairs, ${facts} facts (${human(facts / PAIRS)} per pair)`);

    const envs = new Map<string, RuleEnv>();
    for (const h of histories) {
      if (!envs.has(h.pair.business))
        envs.set(h.pair.business, {
          policyAt: policyFor(defaultPolicyBook, h.pair.business),
          callbackEnabledAt: () => true,
        });
    }
    const envOf = (h: PairHistory) => envs.get(h.pair.business) as RuleEnv;
    const reducer = new BaselineReducer(defaultPolicy, () => true);

    const ours = () => {
      let folded = 0;
      for (const h of histories)
        folded += fold(initialPairState(h.pair.business, h.pair.user), h.facts, envOf(h)).factCount;
      return folded;
    };
    const baseline = () => {
      let folded = 0;
      for (const h of histories) folded += baselineFold(reducer, h.facts).facts;
      return folded;
    };

    const disagreements = compare(histories, envOf, reducer);
    log(
      `core.fold: baseline reaches the same state as core on ${PAIRS - disagreements.length}/${PAIRS} pairs`,
    );
    for (const d of disagreements.slice(0, 3)) log(`  differs: ${d}`);
    // A baseline that does less work than core would flatter it: the ratio means nothing then.
    if (disagreements.length > 0)
      throw new Error(`core.fold: the baseline differs from core on ${disagreements.length} pairs`);

    ours();
    baseline();
    const oursRates: number[] = [];
    const baselineRates: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      oursRates.push(rate(ours, facts));
      baselineRates.push(rate(baseline, facts));
      log(
        `core.fold: round ${round + 1}/${ROUNDS}: core ${human(oursRates[round] as number)} facts/s, baseline ${human(baselineRates[round] as number)} facts/s`,
      );
    }

    const xstate = xstateRate(histories);
    log(
      `core.fold: for information, xstate transition() per lifecycle move: ${human(xstate.factsPerSecond)} facts/s ` +
        `(${human(xstate.transitionsPerSecond)} transition() calls/s over ${xstate.facts} facts); ` +
        `the fold reads the machines through a lookup table instead`,
    );

    return result(
      'core.fold',
      'facts/s',
      Math.round(median(oursRates)),
      Math.round(median(baselineRates)),
      'hand-written switch reducer (same work, same sorted facts)',
    );
  },
};

function rate(run: () => number, facts: number): number {
  const start = process.hrtime.bigint();
  const folded = run();
  if (folded !== facts) throw new Error(`folded ${folded} facts, expected ${facts}`);
  return facts / seconds(start);
}

function baselineFold(reducer: BaselineReducer, facts: readonly PairFact[]): BaselineState {
  const sorted = [...facts].sort(compareFacts);
  const state = initialBaselineState();
  for (const f of sorted) reducer.apply(state, f);
  return state;
}

function coreSummary(s: PairState): FoldSummary {
  return {
    permission: s.permission.status,
    since: s.permission.since,
    expiresAt: s.permission.expiresAt,
    streak: s.unansweredStreak,
    sends: s.sends,
    connectedCalls: s.connectedCalls,
    lastUserActivityAt: s.lastUserActivityAt,
    requests: [...s.requests.values()]
      .filter((r: RequestRecord) => !r.tentative)
      .map((r) => `${r.id}:${r.lifecycle}`)
      .sort(),
    notices: s.notices.length,
    discrepancies: s.discrepancies.length,
  };
}

/** Pairs (user ids) where the baseline's state differs from core's: the baseline must do the same work. */
function compare(
  histories: readonly PairHistory[],
  envOf: (h: PairHistory) => RuleEnv,
  reducer: BaselineReducer,
): string[] {
  const differs: string[] = [];
  for (const h of histories) {
    const a = JSON.stringify(
      coreSummary(fold(initialPairState(h.pair.business, h.pair.user), h.facts, envOf(h))),
    );
    const b = JSON.stringify(baselineSummary(baselineFold(reducer, h.facts)));
    if (a !== b) differs.push(`${h.pair.user}: core ${a} baseline ${b}`);
  }
  return differs;
}

/**
 * The same facts driven through xstate's pure `transition()`: one call per lifecycle move (request and
 * permission), as a fold without the lookup table would make.
 */
function xstateRate(histories: readonly PairHistory[]): {
  facts: number;
  factsPerSecond: number;
  transitionsPerSecond: number;
} {
  let facts = 0;
  let transitions = 0;
  const start = process.hrtime.bigint();
  for (const h of histories) {
    if (facts >= XSTATE_SAMPLE_FACTS) break;
    let permission: AnyMachineSnapshot = initialTransition(permissionMachine)[0];
    const requests = new Map<string, AnyMachineSnapshot>();
    const request = (id: string, type: RequestEvent) => {
      const snapshot = requests.get(id) ?? initialTransition(requestMachine)[0];
      requests.set(id, transition(requestMachine, snapshot, { type })[0]);
      transitions++;
    };
    const permit = (type: PermissionEvent) => {
      permission = transition(permissionMachine, permission, { type })[0];
      transitions++;
    };
    for (const f of [...h.facts].sort(compareFacts)) {
      facts++;
      switch (f.type) {
        case 'RequestDelivered':
        case 'RequestRead':
          request(f.requestId, 'Delivered');
          break;
        case 'RequestFailed':
          request(f.requestId, 'Failed');
          break;
        case 'PermissionDeclined':
          request(f.requestId, 'Declined');
          break;
        case 'PermissionGranted':
          if (f.requestId !== undefined) request(f.requestId, 'Accepted');
          permit(f.permanent ? 'PermanentGranted' : 'TemporaryGranted');
          break;
        case 'PermissionRevoked':
          permit('Revoked');
          break;
        default:
          break;
      }
    }
  }
  const elapsed = seconds(start);
  return { facts, factsPerSecond: facts / elapsed, transitionsPerSecond: transitions / elapsed };
}

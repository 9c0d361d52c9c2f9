import {
  compareFacts,
  defaultPolicyBook,
  evolve,
  fold,
  initialPairState,
  type PairFact,
  type PairState,
  pairStateToJson,
  policyFor,
  type RuleEnv,
} from '@callpermit/core';
import { enableMapSet, produce, setAutoFreeze } from 'immer';
import { type Benchmark, human, median, result, seconds } from '../benchmark.js';
import { generatePairHistories } from '../factGenerator.js';
import { FOLD_HISTORIES } from './coreFold.js';

const PAIRS = 3_000;
const ROUNDS = 7;
const STEPS_PER_ROUND = 5;

/**
 * core.step: one fact applied to a state the caller shares (a head, a checkpoint) and must not change. Ours,
 * what core does: copy it once and `evolve` the copy (`fold` of one fact). Baseline: immer's `produce` around
 * `evolve`, copy-on-write, the immutable one-step form (autoFreeze on, as immer ships). It answers whether
 * immer earns a place in the fold (issue 16). Unit: steps per second.
 */
export const coreStep: Benchmark = {
  name: 'core.step',
  async run(log) {
    enableMapSet();
    const histories = generatePairHistories({ pairs: PAIRS, ...FOLD_HISTORIES });
    const env: RuleEnv = {
      policyAt: policyFor(defaultPolicyBook, histories[0]?.pair.business ?? ''),
      callbackEnabledAt: () => true,
    };
    // Each pair's history but its last fact, folded; the last fact is the step.
    const cases = histories.map((h) => {
      const sorted = [...h.facts].sort(compareFacts);
      const fact = sorted.pop() as PairFact;
      return { state: fold(initialPairState(h.pair.business, h.pair.user), sorted, env), fact };
    });
    const copyOnce = (c: { state: PairState; fact: PairFact }) => fold(c.state, [c.fact], env);
    const immerStep = (c: { state: PairState; fact: PairFact }) =>
      produce(c.state, (draft) => {
        evolve(draft, c.fact, env);
      });
    for (const c of cases) {
      const a = JSON.stringify(pairStateToJson(copyOnce(c)));
      const b = JSON.stringify(pairStateToJson(immerStep(c)));
      if (a !== b) throw new Error(`core.step: immer and the copy disagree for ${c.state.user}`);
    }
    log(
      `core.step: ${PAIRS} states (${human(cases.reduce((n, c) => n + c.state.factCount, 0) / PAIRS)} facts each), one fact each`,
    );

    const rate = (step: (c: (typeof cases)[number]) => unknown) => {
      const start = process.hrtime.bigint();
      for (let k = 0; k < STEPS_PER_ROUND; k++) for (const c of cases) step(c);
      return (STEPS_PER_ROUND * cases.length) / seconds(start);
    };
    rate(copyOnce);
    rate(immerStep);
    const ours: number[] = [];
    const immer: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      ours.push(rate(copyOnce));
      immer.push(rate(immerStep));
      log(
        `core.step: round ${round + 1}/${ROUNDS}: copy once ${human(ours[round] as number)} steps/s, immer ${human(immer[round] as number)} steps/s`,
      );
    }
    setAutoFreeze(false);
    const unfrozen = median(Array.from({ length: 3 }, () => rate(immerStep)));
    setAutoFreeze(true);
    log(`core.step: for information, immer without autoFreeze: ${human(unfrozen)} steps/s`);
    return result(
      'core.step',
      'steps/s',
      Math.round(median(ours)),
      Math.round(median(immer)),
      "immer's produce around evolve (copy-on-write, autoFreeze on)",
    );
  },
};

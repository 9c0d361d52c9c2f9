import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareFacts } from '../domain/factOrder.js';
import { isBusinessFact, type PairFact } from '../domain/facts.js';
import { policyBook, policyFor } from '../policy/policy.js';
import type { RuleEnv } from '../rules/businessSettings.js';
import { evolve, fold } from '../rules/evolve.js';
import { factHistoryArb } from '../test/arbitraries.js';
import { DAY, T0, testPair, WEEK } from '../test/builders.js';
import { callPermissions } from '../views/callPermissions.js';
import { requests } from '../views/requests.js';
import { initialPairState, type PairStateJson, pairStateFromJson, pairStateToJson } from './pairState.js';

const env: RuleEnv = { policyAt: policyFor(policyBook(), testPair.business), callbackEnabledAt: () => true };

const pairFacts = fc
  .tuple(factHistoryArb({ span: 8 * WEEK, maxLength: 80 }), fc.nat({ max: 80 }))
  .map(([history, cut]) => {
    const sorted = history.filter((f): f is PairFact => !isBusinessFact(f)).sort(compareFacts);
    return { before: sorted.slice(0, cut), after: sorted.slice(cut) };
  });

/** What a store writes and reads back: the JSON form, through JSON text. */
const throughJson = (json: PairStateJson): PairStateJson => JSON.parse(JSON.stringify(json));

describe('a pair state through its JSON form, as stores keep it', () => {
  it('comes back equal, and folds on to the answers a fresh fold gives', () => {
    fc.assert(
      fc.property(pairFacts, ({ before, after }) => {
        const written = fold(initialPairState(testPair.business, testPair.user), before, env);
        const read = pairStateFromJson(throughJson(pairStateToJson(written)));
        expect(read).toEqual(written);
        for (const fact of after) evolve(read, fact, env);
        const fresh = fold(initialPairState(testPair.business, testPair.user), [...before, ...after], env);
        expect(read).toEqual(fresh);
      }),
      { seed: 20261125, numRuns: 200 },
    );
  });

  it('a state written before sweepAfter existed (records as objects, sweptAt) folds on to the same answers', () => {
    fc.assert(
      fc.property(pairFacts, ({ before, after }) => {
        const written = fold(initialPairState(testPair.business, testPair.user), before, env);
        const { sweepAfter: _dropped, ...rest } = pairStateToJson(written);
        const old = { ...rest, sweptAt: written.last?.at ?? null } as unknown as PairStateJson;
        const read = pairStateFromJson(throughJson(old));
        expect(read).not.toHaveProperty('sweptAt');
        for (const fact of after) evolve(read, fact, env);
        const fresh = fold(initialPairState(testPair.business, testPair.user), [...before, ...after], env);
        const end = Math.max(T0, ...[...before, ...after].map((f) => f.at));
        for (const at of [end, end + DAY, end + 2 * WEEK]) {
          expect(callPermissions(read, at, env)).toEqual(callPermissions(fresh, at, env));
          expect(requests(read, at)).toEqual(requests(fresh, at));
        }
      }),
      { seed: 20261125, numRuns: 200 },
    );
  });

  it('a state written when the count of its facts was `facts` reads as factCount, and folds on to the same state', () => {
    fc.assert(
      fc.property(pairFacts, ({ before, after }) => {
        const written = fold(initialPairState(testPair.business, testPair.user), before, env);
        const { factCount, ...rest } = pairStateToJson(written);
        const old = { ...rest, facts: factCount } as unknown as PairStateJson;
        const read = pairStateFromJson(throughJson(old));
        expect(read).not.toHaveProperty('facts');
        expect(read.factCount).toBe(before.length);
        for (const fact of after) evolve(read, fact, env);
        const fresh = fold(initialPairState(testPair.business, testPair.user), [...before, ...after], env);
        expect(read).toEqual(fresh);
      }),
      { seed: 20261207, numRuns: 200 },
    );
  });
});

// Corrections keep an append-only outbox true: however facts arrive (late, in batches), what the outbox still
// stands by is exactly the changes of the history as it stands, and no id is ever stored twice.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PairFact } from '../domain/facts.js';
import { policyBook } from '../policy/policy.js';
import { businessRuleEnv } from '../rules/businessSettings.js';
import { factHistoryArb, policyArb } from '../test/arbitraries.js';
import { DAY, facts, T0, testPair, WEEK } from '../test/builders.js';
import { corrections, standing } from './corrections.js';
import { changesBetween, factCause, type PairChange } from './pairChanges.js';

/** What a change says, without its id, in a canonical order. */
const said = (changes: readonly PairChange[]) =>
  changes.map(({ id: _, ...rest }) => JSON.stringify(rest)).sort();

describe('corrections', () => {
  it('after every late batch, the outbox stands by exactly the changes of the history so far; ids stay unique', () => {
    fc.assert(
      fc.property(
        fc
          .tuple(
            factHistoryArb({ span: 5 * DAY, minLength: 3, maxLength: 30, callbackChanges: false }),
            policyArb,
          )
          .chain(([history, policy]) =>
            fc.tuple(
              fc.constant(history as PairFact[]),
              fc.constant(policy),
              // The batch each fact arrives in.
              fc.array(fc.nat({ max: 3 }), { minLength: history.length, maxLength: history.length }),
            ),
          ),
        ([history, policy, arrival]) => {
          const env = businessRuleEnv(policyBook(policy), testPair.business);
          const until = T0 + 3 * WEEK;
          const outbox: PairChange[] = [];
          const seen: PairFact[] = [];
          for (let batch = 0; batch <= 3; batch++) {
            const late = history.filter((_, i) => arrival[i] === batch);
            if (late.length === 0) continue;
            seen.push(...late);
            const from = Math.min(...late.map((f) => f.at));
            const told = outbox.filter((c) => c.at >= from);
            const truth = changesBetween(testPair, seen, until, env, from - 1);
            outbox.push(...corrections(told, truth, factCause(late[0] as PairFact)));
            expect(said(standing(outbox))).toEqual(said(changesBetween(testPair, seen, until, env)));
            expect(new Set(outbox.map((c) => c.id)).size).toBe(outbox.length);
          }
        },
      ),
      { seed: 1306, numRuns: 300 },
    );
  });

  it('a late grant before an expiry already told: the expiry is retracted and the new one told', () => {
    const env = businessRuleEnv(policyBook(), testPair.business);
    const first = facts.permissionGranted({ at: T0 });
    const told = changesBetween(testPair, [first], T0 + 10 * DAY, env);
    expect(told.map((c) => c.kind)).toEqual(['permission.granted', 'permission.expired']);
    const late = facts.permissionGranted({ at: T0 + 3 * DAY });
    const truth = changesBetween(testPair, [first, late], T0 + 10 * DAY, env, late.at - 1);
    const fixed = corrections(
      told.filter((c) => c.at >= late.at),
      truth,
      factCause(late),
    );
    expect(fixed.map((c) => [c.kind, c.at - T0, c.subject])).toEqual([
      ['change.retracted', WEEK, told[1]?.id],
      ['permission.granted', 3 * DAY, undefined],
      ['permission.expired', 10 * DAY, undefined],
    ]);
    expect(fixed[0]?.data).toEqual({ retracts: told[1]?.id, kind: 'permission.expired' });
    expect(fixed[0]?.cause).toEqual(factCause(late));
  });

  it('a change retracted and then true again is told again under a new id', () => {
    const env = businessRuleEnv(policyBook(), testPair.business);
    const expiry = changesBetween(
      testPair,
      [facts.permissionGranted({ at: T0 })],
      T0 + WEEK,
      env,
    )[1] as PairChange;
    const retraction = corrections(
      [expiry],
      [],
      factCause(facts.userMessaged({ at: T0 + DAY })),
    )[0] as PairChange;
    const again = corrections(
      [expiry, retraction],
      [expiry],
      factCause(facts.userMessaged({ at: T0 + 2 * DAY })),
    );
    expect(again).toEqual([{ ...expiry, id: `${expiry.id}#1` }]);
  });
});

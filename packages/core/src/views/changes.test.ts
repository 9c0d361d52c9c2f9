// changeInstants is what lets a timeline (and a comparison of policies) ask only at facts and at these
// instants: between two of them, with no new fact, no answer may change.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Decision } from '../domain/commands.js';
import type { PairFact } from '../domain/facts.js';
import { policyBook, policyFor } from '../policy/policy.js';
import type { RuleEnv } from '../rules/businessSettings.js';
import { decide } from '../rules/decide.js';
import { fold } from '../rules/evolve.js';
import { initialPairState } from '../state/pairState.js';
import { factHistoryArb, policyArb } from '../test/arbitraries.js';
import { commands, facts, T0, testPair, WEEK } from '../test/builders.js';
import { callPermissions } from './callPermissions.js';
import { changeInstants } from './changes.js';
import { requests } from './requests.js';

/** A decision without the instant its facts carry: allowed, or the refusal (its code and retryAt). */
const outcome = (d: Decision) => (d.ok ? 'allowed' : d.refusal);
const fresh = () => initialPairState(testPair.business, testPair.user);

describe('changeInstants', () => {
  it('between two consecutive change instants after the last fact, every answer stays the same', () => {
    fc.assert(
      fc.property(
        factHistoryArb({ span: 2 * WEEK, maxLength: 30 }),
        policyArb,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }),
        (history, policy, picks) => {
          const env: RuleEnv = {
            policyAt: policyFor(policyBook(policy), testPair.business),
            callbackEnabledAt: () => false,
          };
          const state = fold(fresh(), history as PairFact[], env);
          const last = state.last?.at ?? T0;
          const until = last + 3 * WEEK;
          const bounds = [last, ...changeInstants(state, last, until, env), until + 1];
          const answers = (t: number) => ({
            view: callPermissions(state, t, env),
            requests: requests(state, t),
            template: outcome(decide(state, commands.sendRequest({ requestId: 'wamid.NEW' }), t, env)),
            freeForm: outcome(
              decide(state, commands.sendRequest({ requestId: 'wamid.NEW', channel: 'free_form' }), t, env),
            ),
            call: outcome(decide(state, commands.startCall({ callId: 'wacid.NEW' }), t, env)),
          });
          for (let i = 0; i + 1 < bounds.length; i++) {
            const from = bounds[i] as number;
            const to = (bounds[i + 1] as number) - 1;
            if (to <= from) continue;
            const expected = answers(from);
            for (const p of picks) {
              const t = from + Math.floor(p * (to - from));
              expect(answers(t), `at ${t} in [${from}, ${to}]`).toEqual(expected);
            }
          }
        },
      ),
      { seed: 12, numRuns: 150 },
    );
  });

  it('names the expiry of a temporary grant and the instant a send leaves each window', () => {
    const env: RuleEnv = {
      policyAt: policyFor(policyBook(), testPair.business),
      callbackEnabledAt: () => false,
    };
    const state = fold(
      fresh(),
      [
        facts.requestSent({ at: T0, requestId: 'wamid.A', tentative: false }),
        facts.permissionGranted({ at: T0 + 10, requestId: 'wamid.A', expiresAt: T0 + 10 + WEEK }),
      ],
      env,
    );
    expect(changeInstants(state, T0 + 10, T0 + 2 * WEEK, env)).toEqual(
      [T0 + 86400, T0 + 10 + WEEK, T0 + WEEK].sort((a, b) => a - b),
    );
  });
});

import { describe, expect, it } from 'vitest';
import type { PairFact } from '../domain/facts.js';
import { policyBook, policyFor } from '../policy/policy.js';
import type { RuleEnv } from '../rules/businessSettings.js';
import { fold } from '../rules/evolve.js';
import { DAY, facts, HOUR, T0, testPair, WEEK } from '../test/builders.js';
import { requests } from '../views/requests.js';
import { initialPairState, type PairState, pairStateToJson } from './pairState.js';

const env: RuleEnv = { policyAt: policyFor(policyBook(), testPair.business), callbackEnabledAt: () => true };

/** A busy pair, week after week: a request and its answer, user calls, business calls, messages, statuses. */
function weeks(count: number): PairFact[] {
  const out: PairFact[] = [];
  for (let w = 0; w < count; w++) {
    const t = T0 + w * WEEK;
    out.push(
      facts.userMessaged({ at: t, messageId: `wamid.IN${w}` }),
      facts.requestSent({ at: t + 60, requestId: `wamid.R${w}` }),
      facts.requestDelivered({ at: t + 70, requestId: `wamid.R${w}` }),
      facts.requestSent({ at: t + 80, requestId: `wamid.TEXT${w}`, tentative: true }),
      facts.permissionGranted({
        at: t + HOUR,
        requestId: `wamid.R${w}`,
        permanent: false,
        expiresAt: t + HOUR + WEEK,
      }),
    );
    for (let c = 0; c < 3; c++) {
      out.push(facts.userCalled({ at: t + DAY + c * HOUR, callId: `wacid.U${w}.${c}` }));
      out.push(
        facts.callConnected({
          at: t + 2 * DAY + c * HOUR,
          callId: `wacid.B${w}.${c}`,
          direction: 'business_initiated',
        }),
      );
      out.push(facts.callUnanswered({ at: t + 3 * DAY + c * HOUR, callId: `wacid.M${w}.${c}` }));
    }
  }
  return out;
}

describe('a pair state stays small however long its history', () => {
  it('two years weigh what one year weighs: old calls, messages and ended requests leave the state', () => {
    const year = fold(initialPairState(testPair.business, testPair.user), weeks(52), env);
    const twoYears = fold(initialPairState(testPair.business, testPair.user), weeks(104), env);
    expect(twoYears.factCount).toBe(2 * year.factCount);
    const size = (s: PairState) => JSON.stringify(pairStateToJson(s)).length;
    expect(size(twoYears)).toBeLessThan(size(year) * 1.1);
    expect(twoYears.calls.size).toBeLessThan(30);
    // Requests stay listed for requestHistorySeconds (90 days) after they ended.
    const listed = requests(twoYears, T0 + 104 * WEEK);
    expect(listed.length).toBeGreaterThanOrEqual(12);
    expect(listed.length).toBeLessThanOrEqual(15);
    expect(listed.every((r) => (r.expires_at ?? 0) >= T0 + 104 * WEEK - 90 * DAY - WEEK)).toBe(true);
  });
});

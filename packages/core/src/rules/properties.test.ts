// The rules as invariants, over generated histories. Seeds are fixed: a failure replays with the same seed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { factProblem } from '../boundary/factCheck.js';
import { type Command, ErrorCode } from '../domain/commands.js';
import { compareFacts, comparePositions, positionOf } from '../domain/factOrder.js';
import type { Fact, PairFact } from '../domain/facts.js';
import { Engine } from '../engine/engine.js';
import { MemoryFactStore } from '../engine/memoryStore.js';
import { defaultPolicy, type Policy, policyBook, policyFor } from '../policy/policy.js';
import { initialPairState, pairStateToJson } from '../state/pairState.js';
import { factHistoryArb, instantArb, policyArb } from '../test/arbitraries.js';
import { clock, commands, DAY, facts, HOUR, T0, testPair, WEEK } from '../test/builders.js';
import { printableId } from '../test/malformed.js';
import { callPermissions } from '../views/callPermissions.js';
import { requests } from '../views/requests.js';
import type { RuleEnv } from './businessSettings.js';
import { decide } from './decide.js';
import { evolve, fold } from './evolve.js';

const env: RuleEnv = { policyAt: policyFor(policyBook(), testPair.business), callbackEnabledAt: () => false };
const fresh = () => initialPairState(testPair.business, testPair.user);

describe('no sequence of accepted commands ever exceeds a limit in any window', () => {
  type Action =
    | { kind: 'request'; channel: 'template' | 'free_form' }
    | { kind: 'call'; outcome: 'connected' | 'unanswered' | 'rejected' | 'none'; delay: number }
    | { kind: 'userMessage' }
    | { kind: 'userCall'; connected: boolean }
    | { kind: 'grant'; permanent: boolean }
    | { kind: 'revoke' };
  // Many steps share an instant: ties between a call's outcome and a command are where order matters.
  const dt = fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 300 }) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: DAY }) },
    { weight: 1, arbitrary: fc.constantFrom(HOUR, DAY, WEEK) },
  );
  const action: fc.Arbitrary<Action> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('request'),
        channel: fc.constantFrom('template', 'free_form'),
      }),
    },
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('call'),
        outcome: fc.constantFrom('connected', 'connected', 'unanswered', 'rejected', 'none'),
        delay: fc.nat(),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('userMessage') }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('userCall'), connected: fc.boolean() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('grant'), permanent: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('revoke') }) },
  ) as fc.Arbitrary<Action>;
  const script = fc.array(fc.tuple(dt, action), { minLength: 1, maxLength: 60 });

  /** Runs the script against an engine, in time order; call outcomes arrive within the attempt's hold. */
  async function run(policy: Policy, steps: readonly [number, Action][]): Promise<Fact[]> {
    const engine = new Engine(new MemoryFactStore(), { policy: policyBook(policy) });
    const pending: Fact[] = [];
    const flush = async (until: number) => {
      pending.sort(compareFacts);
      while (pending.length > 0 && (pending[0] as Fact).at <= until)
        await engine.ingest([pending.shift() as Fact]);
    };
    const time = clock(T0);
    for (const [i, [step, a]] of steps.entries()) {
      const now = time.advance(step);
      await flush(now);
      const pair = testPair;
      switch (a.kind) {
        case 'request':
          await engine.execute(commands.sendRequest({ requestId: `wamid.S${i}`, channel: a.channel }), now);
          break;
        case 'call': {
          const callId = `wacid.B${i}`;
          const decision = await engine.execute(commands.startCall({ callId }), now);
          const at = now + (a.delay % policy.callAttemptHoldSeconds);
          if (decision.ok && a.outcome === 'connected')
            pending.push(facts.callConnected({ at, callId, pair }));
          if (decision.ok && a.outcome === 'unanswered')
            pending.push(facts.callUnanswered({ at, callId, pair }));
          if (decision.ok && a.outcome === 'rejected') pending.push(facts.callRejected({ at, callId, pair }));
          break;
        }
        case 'userMessage':
          await engine.ingest([facts.userMessaged({ at: now, messageId: `wamid.IN${i}` })]);
          break;
        case 'userCall':
          await engine.ingest([
            facts.userCalled({ at: now, callId: `wacid.IN${i}` }),
            ...(a.connected
              ? [facts.callConnected({ at: now, callId: `wacid.IN${i}`, direction: 'user_initiated' })]
              : []),
          ]);
          break;
        case 'grant':
          await engine.ingest([
            facts.permissionGranted({ at: now, permanent: a.permanent, key: `grant${i}` }),
          ]);
          break;
        case 'revoke':
          await engine.ingest([facts.permissionRevoked({ at: now, key: `revoke${i}` })]);
          break;
      }
    }
    await flush(Number.POSITIVE_INFINITY);
    return (await engine.store.readAll(0, 1_000_000)).map((r) => r.fact);
  }

  it('counted from the recorded facts, every window of every limit holds at most max_allowed', async () => {
    await fc.assert(
      fc.asyncProperty(policyArb, script, async (policy, steps) => {
        const log = await run(policy, steps);
        const sends = log.filter((f) => f.type === 'RequestSent').map((f) => f.at);
        const connections = log.filter((f) => f.type === 'CallConnected');
        const businessCalls = connections
          .filter((f) => f.direction === 'business_initiated')
          .map((f) => f.at);
        // Windows only fill up at a send or a connection: checking there checks every window.
        for (const t of sends) {
          // "These limits reset when any connected call … is made": a send in the call's second counts after it.
          const reset = Math.max(-Infinity, ...connections.filter((c) => c.at <= t).map((c) => c.at));
          for (const limit of policy.requestLimits) {
            const inWindow = sends.filter((s) => s >= reset && s <= t && t < s + limit.periodSeconds).length;
            expect(
              inWindow,
              `requests in the ${limit.periodSeconds}s window ending at ${t}`,
            ).toBeLessThanOrEqual(limit.maxAllowed);
          }
        }
        for (const t of businessCalls) {
          for (const limit of policy.connectedCallLimits) {
            const inWindow = businessCalls.filter((c) => c <= t && t < c + limit.periodSeconds).length;
            expect(inWindow, `connected calls in the window ending at ${t}`).toBeLessThanOrEqual(
              limit.maxAllowed,
            );
          }
        }
      }),
      { seed: 20251113, numRuns: 1000 },
    );
  });
});

describe('a grant holds to the second', () => {
  it('t = E − 1 is granted, t = E is not: in the view, in decide, and once a fact reaches E', () => {
    const noise = factHistoryArb({ maxLength: 8 }).map((h) =>
      h.filter(
        (f): f is PairFact =>
          f.type === 'UserMessaged' || f.type === 'RequestSent' || f.type === 'RequestDelivered',
      ),
    );
    fc.assert(
      fc.property(
        instantArb(),
        fc.option(fc.integer({ min: 1, max: 3 * WEEK }), { nil: undefined }),
        noise,
        (at, lasts, others) => {
          const grant =
            lasts === undefined
              ? facts.permissionGranted({ at })
              : facts.permissionGranted({ at, expiresAt: at + lasts });
          const E = at + (lasts ?? defaultPolicy.temporaryGrantSeconds);
          const state = fold(fresh(), [...others.filter((f) => f.at <= at), grant], env);
          expect(callPermissions(state, E - 1, env).permission).toEqual({
            status: 'temporary',
            expiration_time: E,
          });
          expect(callPermissions(state, E, env).permission).toEqual({ status: 'no_permission' });
          expect(decide(state, commands.startCall(), E - 1, env).ok).toBe(true);
          expect(decide(state, commands.startCall(), E, env)).toMatchObject({
            ok: false,
            refusal: { code: ErrorCode.noPermission },
          });
          const tick = (t: number) => facts.userMessaged({ at: t, messageId: `tick${t}` });
          expect(fold(state, [tick(E - 1)], env).permission.status).toBe('temporary');
          expect(fold(state, [tick(E)], env).permission).toMatchObject({ status: 'expired', since: E });
        },
      ),
      { seed: 168, numRuns: 200 },
    );
  });
});

describe('the 2/4 streak', () => {
  it('every second consecutive miss prompts, the fourth revokes, a connected call starts the count again', () => {
    const outcome = fc.constantFrom('unanswered', 'rejected', 'connected_business', 'connected_user');
    fc.assert(
      fc.property(fc.array(outcome, { maxLength: 40 }), (outcomes) => {
        const history: PairFact[] = [facts.permissionGranted({ at: T0, permanent: true })];
        for (const [i, o] of outcomes.entries()) {
          const at = T0 + (i + 1) * HOUR;
          const callId = `wacid.${i}`;
          if (o === 'unanswered') history.push(facts.callUnanswered({ at, callId }));
          else if (o === 'rejected') history.push(facts.callRejected({ at, callId }));
          else {
            const direction = o === 'connected_business' ? 'business_initiated' : 'user_initiated';
            history.push(facts.callConnected({ at, callId, direction }));
          }
        }
        // Counted by hand: consecutive misses since the last connected call or the last revoke.
        const expected: { type: string; callId: string }[] = [];
        let streak = 0;
        let held = true;
        for (const [i, o] of outcomes.entries()) {
          if (o.startsWith('connected')) {
            streak = 0;
            continue;
          }
          streak += 1;
          if (streak === 2) expected.push({ type: 'reconsider_prompted', callId: `wacid.${i}` });
          if (streak === 4) {
            if (held) expected.push({ type: 'auto_revoked', callId: `wacid.${i}` });
            held = false;
            streak = 0;
          }
        }
        const state = fold(fresh(), history, env);
        expect(state.notices.map(({ type, callId }) => ({ type, callId }))).toEqual(expected);
        expect(state.unansweredStreak).toBe(streak);
        expect(callPermissions(state, T0 + 100 * HOUR, env).permission.status).toBe(
          held ? 'permanent' : 'no_permission',
        );
      }),
      { seed: 24, numRuns: 300 },
    );
  });
});

describe('decline → accept window', () => {
  it('an accept after a decline takes hold until the request expires or a newer request reaches the user', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: WEEK - 1 }),
        fc.integer({ min: 0, max: 2 * WEEK }),
        fc.option(fc.integer({ min: 1, max: 2 * WEEK }), { nil: undefined }),
        (declineAfter, acceptAfter, newerAfter) => {
          const delivered = T0 + 10;
          const declined = delivered + declineAfter;
          const accepted = declined + acceptAfter;
          const newer = newerAfter === undefined ? undefined : declined + newerAfter;
          const history: PairFact[] = [
            facts.requestSent({ at: T0, requestId: 'wamid.A' }),
            facts.requestDelivered({ at: delivered, requestId: 'wamid.A' }),
            facts.permissionDeclined({ at: declined, requestId: 'wamid.A' }),
            facts.permissionGranted({ at: accepted, requestId: 'wamid.A' }),
          ];
          if (newer !== undefined) {
            history.push(facts.requestSent({ at: newer, requestId: 'wamid.B' }));
            history.push(facts.requestDelivered({ at: newer, requestId: 'wamid.B' }));
          }
          const expires = declined + WEEK;
          const expected =
            newer !== undefined && newer < expires && newer <= accepted
              ? 'superseded'
              : accepted >= expires
                ? 'expired'
                : 'accepted';
          // A state answers for instants at or after its last fact: fold what happened up to the accept.
          const state = fold(
            fresh(),
            history.filter((f) => f.at <= accepted),
            env,
          );
          expect(requests(state, accepted).find((r) => r.id === 'wamid.A')?.state).toBe(expected);
        },
      ),
      { seed: 7, numRuns: 300 },
    );
  });
});

describe('the Decider forms agree', () => {
  it('evolving one fact at a time equals folding the batch', () => {
    fc.assert(
      fc.property(factHistoryArb({ maxLength: 30 }), (history) => {
        const pairFacts = history as PairFact[];
        const stepwise = [...pairFacts].sort(compareFacts).reduce((s, f) => evolve(s, f, env), fresh());
        expect(stepwise).toEqual(fold(fresh(), pairFacts, env));
      }),
      { seed: 42, numRuns: 100 },
    );
  });
});

describe('decide and evolve fit together', () => {
  const requestId = fc.oneof(
    fc.nat({ max: 5 }).map((i) => `wamid.R${i}`),
    printableId,
  );
  const callId = fc.oneof(
    fc.nat({ max: 9 }).map((i) => `wacid.C${i}`),
    printableId,
  );
  const command: fc.Arbitrary<Command> = fc.oneof(
    fc
      .record({ requestId, channel: fc.constantFrom('free_form' as const, 'template' as const) })
      .map((c) => commands.sendRequest(c)),
    callId.map((id) => commands.startCall({ callId: id })),
  );

  it('every fact decide records is one the boundary accepts and evolve folds, as if it had been in the history', () => {
    let allowed = 0;
    let runs = 0;
    fc.assert(
      fc.property(
        factHistoryArb({ maxLength: 30 }),
        policyArb,
        command,
        fc.nat({ max: 2 * DAY }),
        (history, policy, wanted, later) => {
          runs++;
          const rules: RuleEnv = { policyAt: () => policy, callbackEnabledAt: () => true };
          const pairFacts = history as PairFact[];
          const state = fold(fresh(), pairFacts, rules);
          const at = Math.max(T0, ...pairFacts.map((f) => f.at)) + later;
          const before = JSON.stringify(pairStateToJson(state));
          const decided = decide(state, wanted, at, rules);
          // decide reads the state, never changes it.
          expect(JSON.stringify(pairStateToJson(state))).toBe(before);
          if (!decided.ok) return;
          allowed++;
          for (const fact of decided.facts) expect(factProblem(fact), fact.type).toBeUndefined();
          const withIt = fold(fresh(), [...pairFacts, ...decided.facts], rules);
          expect(withIt.factCount).toBe(pairFacts.length + decided.facts.length);
          for (const fact of decided.facts) {
            if (fact.type === 'RequestSent')
              expect(withIt.requests.get(fact.requestId)?.tentative).toBe(false);
            if (fact.type === 'CallAttempted')
              expect(withIt.calls.get(fact.callId)?.attemptedAt).not.toBeNull();
          }
          // After the state's last fact, folding onto the state decided on is the same as folding it in (the
          // engine's fast path); a fact of the same second ranked before the last one is re-folded instead.
          const first = positionOf(decided.facts[0] as PairFact);
          if (state.last === null || comparePositions(first, state.last) > 0)
            expect(fold(state, decided.facts, rules)).toEqual(withIt);
        },
      ),
      { seed: 1600, numRuns: 400 },
    );
    // Not a property of refusals alone: a good share of the commands was allowed.
    expect(allowed).toBeGreaterThan(runs / 10);
  });
});

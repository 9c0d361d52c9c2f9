// The rules of the change feed, as invariants over generated histories: changes compose over any split
// instant, applying them to a view gives the view later on, nothing changes between the instants they name,
// `nextChangeAt` is the first time-driven change, and the same facts in any order give the same changes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BusinessFact, isBusinessFact, type PairFact } from '../domain/facts.js';
import type { Instant } from '../domain/time.js';
import { policyBook } from '../policy/policy.js';
import { businessRuleEnv, type RuleEnv } from '../rules/businessSettings.js';
import { fold } from '../rules/evolve.js';
import { initialPairState } from '../state/pairState.js';
import { factHistoryArb, pairFactArb, policyArb } from '../test/arbitraries.js';
import { DAY, facts, HOUR, T0, testPair, WEEK } from '../test/builders.js';
import { EMPTY_VIEW, type PairView, pairView, sameJson, sameView } from '../views/pairView.js';
import {
  applyChanges,
  changesBetween,
  nextChangeAt,
  type PairChange,
  pairChanges,
  TIME,
  viewChanges,
} from './pairChanges.js';

interface Case {
  readonly pairFacts: PairFact[];
  readonly env: RuleEnv;
  readonly last: Instant;
}

/**
 * A history of the test pair with callback changes, folded under a generated policy (its own business env):
 * over two weeks, or dense (a few days), so that time changes the view between facts too.
 */
const caseArb: fc.Arbitrary<Case> = fc
  .tuple(
    fc.oneof(
      factHistoryArb({ span: 2 * WEEK, maxLength: 30, callbackChanges: true }),
      factHistoryArb({ span: 4 * DAY, minLength: 5, maxLength: 30, callbackChanges: true }),
    ),
    policyArb,
  )
  .map(([history, policy]) => {
    const business = history.filter(isBusinessFact) as BusinessFact[];
    const pairFacts = history.filter((f) => !isBusinessFact(f)) as PairFact[];
    const env = businessRuleEnv(policyBook(policy), testPair.business, business);
    const last = Math.max(T0, ...pairFacts.map((f) => f.at));
    return { pairFacts, env, last };
  });

/** Instants from a little before the history to three weeks after its last fact. */
const splitArb = fc.tuple(
  fc.double({ min: 0, max: 1, noNaN: true }),
  fc.double({ min: 0, max: 1, noNaN: true }),
);
const between = (from: Instant, to: Instant, p: number) => from + Math.floor(p * (to - from));

const stateAt = (c: Case, at: Instant) =>
  fold(
    initialPairState(testPair.business, testPair.user),
    c.pairFacts.filter((f) => f.at <= at),
    c.env,
  );

/** The changes without their ids: what a change says. */
const said = (changes: readonly PairChange[]) => changes.map(({ id: _, ...rest }) => rest);

describe('the changes of a pair between two instants', () => {
  it('changes(A, C) are changes(A, B) then changes(B, C), for any B between', () => {
    fc.assert(
      fc.property(caseArb, splitArb, (c, [p, q]) => {
        const a = T0 - DAY;
        const cEnd = c.last + 3 * WEEK;
        // Near a fact half the time: where time changes and a fact's changes meet.
        const near = c.pairFacts[Math.floor(q * c.pairFacts.length)];
        const b = near && p < 0.5 ? near.at - 1 + Math.floor(p * 6) : between(a, cEnd, p);
        const whole = changesBetween(testPair, c.pairFacts, cEnd, c.env, a);
        const parts = [
          ...changesBetween(testPair, c.pairFacts, b, c.env, a),
          ...changesBetween(testPair, c.pairFacts, cEnd, c.env, b),
        ];
        expect(parts).toEqual(whole);
        for (const change of whole) expect(change.at > a && change.at <= cEnd).toBe(true);
      }),
      { seed: 1301, numRuns: 200 },
    );
  });

  it('applying the changes up to any instant to the view before them gives the view at that instant', () => {
    fc.assert(
      fc.property(caseArb, splitArb, (c, [p, q]) => {
        const a = between(T0 - DAY, c.last + WEEK, Math.min(p, q));
        const t = between(a, c.last + 3 * WEEK, Math.max(p, q));
        const changes = changesBetween(testPair, c.pairFacts, t, c.env, a);
        const applied = applyChanges(pairView(stateAt(c, a), a, c.env), changes);
        expect(applied).toEqual(pairView(stateAt(c, t), t, c.env));
      }),
      { seed: 1302, numRuns: 300 },
    );
  });

  it('from before the first fact, the changes build the whole view from nothing', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const until = c.last + 2 * WEEK;
        const changes = changesBetween(testPair, c.pairFacts, until, c.env);
        expect(applyChanges(EMPTY_VIEW, changes)).toEqual(pairView(stateAt(c, until), until, c.env));
      }),
      { seed: 1303, numRuns: 150 },
    );
  });

  it('nextChangeAt is the instant of the first time-driven change, never later and never earlier', () => {
    fc.assert(
      fc.property(caseArb, fc.double({ min: 0, max: 1, noNaN: true }), (c, p) => {
        const at = between(T0, c.last + WEEK, p);
        const state = stateAt(c, at);
        const horizon = at + 6 * WEEK;
        const first = pairChanges(state, [], at, horizon, c.env)[0];
        const next = nextChangeAt(state, at, c.env);
        if (first === undefined) expect(next === null || next > horizon).toBe(true);
        else expect(next).toBe(first.at);
      }),
      { seed: 1304, numRuns: 300 },
    );
  });

  it('the same facts in any order give the same changes with the same ids', () => {
    fc.assert(
      fc.property(
        caseArb.chain((c) =>
          fc.tuple(fc.constant(c), fc.shuffledSubarray(c.pairFacts, { minLength: c.pairFacts.length })),
        ),
        ([c, shuffled]) => {
          const until = c.last + WEEK;
          const once = changesBetween(testPair, c.pairFacts, until, c.env);
          expect(changesBetween(testPair, shuffled, until, c.env)).toEqual(once);
          expect(new Set(once.map((x) => x.id)).size).toBe(once.length);
        },
      ),
      { seed: 1305, numRuns: 150 },
    );
  });
});

/** The parts of a view, as the feed names them. */
const PARTS = [
  'permission',
  'requests',
  'call_limit',
  'request_limit',
  'customer_service_window',
  'reconsider_prompt',
] as const;

/** Facts of a request's life over two request ids (few generated histories have a request that moves on). */
const requestLifeArb = fc.uniqueArray(
  pairFactArb({ span: 2 * WEEK, requests: 2 }).filter(
    (f) =>
      (f.type === 'RequestSent' && !f.tentative) ||
      f.type === 'RequestDelivered' ||
      f.type === 'RequestRead' ||
      f.type === 'PermissionDeclined' ||
      (f.type === 'PermissionGranted' && f.requestId !== undefined),
  ),
  { selector: (f) => f.key, maxLength: 10 },
);

/** An instant near a fact of the history: at it, or up to a week after it (or an hour before). */
const nearFactArb = fc.tuple(
  fc.nat(),
  fc.oneof(fc.constantFrom(-1, 0, 1), fc.integer({ min: -HOUR, max: WEEK })),
);

/**
 * Two views of a generated history (with more of the requests' lives in it): at instants a ≤ t near its facts,
 * each from the state folded up to it.
 */
const twoViewsArb = fc
  .tuple(caseArb, requestLifeArb, nearFactArb, nearFactArb)
  .map(([generated, lives, [i, di], [j, dj]]) => {
    const keys = new Set(generated.pairFacts.map((f) => f.key));
    const pairFacts = [...generated.pairFacts, ...lives.filter((f) => !keys.has(f.key))];
    const c: Case = {
      ...generated,
      pairFacts,
      last: Math.max(generated.last, ...pairFacts.map((f) => f.at)),
    };
    const ats = [T0, ...pairFacts.map((f) => f.at)];
    const [a, t] = [(ats[i % ats.length] as Instant) + di, (ats[j % ats.length] as Instant) + dj].sort(
      (x, y) => x - y,
    ) as [Instant, Instant];
    return { c, a, t, before: pairView(stateAt(c, a), a, c.env) };
  });

describe('the walk compares views part by part', () => {
  it('a view built like another is the same view, sharing exactly the parts that did not change', () => {
    fc.assert(
      fc.property(twoViewsArb, ({ c, t, before }) => {
        const fresh = pairView(stateAt(c, t), t, c.env);
        const like = pairView(stateAt(c, t), t, c.env, before);
        expect(like).toEqual(fresh);
        expect(like === before).toBe(sameJson(fresh, before));
        expect(sameView(fresh, before)).toBe(sameJson(fresh, before));
        for (const part of PARTS)
          expect(like[part] === before[part]).toBe(sameJson(fresh[part], before[part]));
        for (const [id, watch] of Object.entries(like.requests))
          expect(watch === before.requests[id]).toBe(sameJson(fresh.requests[id], before.requests[id]));
        expect(viewChanges(testPair, before, like, t, TIME)).toEqual(
          viewChanges(testPair, before, fresh, t, TIME),
        );
      }),
      { seed: 1306, numRuns: 300 },
    );
  });

  it('lists one change for each part whose value differs (as JSON), and nothing else', () => {
    const partOf = (c: PairChange): string =>
      c.kind === 'permission.reconsider_prompt'
        ? 'reconsider_prompt'
        : c.kind.startsWith('request.')
          ? `requests.${c.subject}`
          : (c.kind.split('.')[0] as string);
    fc.assert(
      fc.property(twoViewsArb, ({ c, t, before }) => {
        const after: PairView = pairView(stateAt(c, t), t, c.env);
        const expected: string[] = [];
        for (const id of Object.keys(after.requests).sort())
          if (!sameJson(before.requests[id], after.requests[id])) expected.push(`requests.${id}`);
        if (!sameJson(before.permission, after.permission)) expected.push('permission');
        if (after.reconsider_prompt !== null && !sameJson(before.reconsider_prompt, after.reconsider_prompt))
          expected.push('reconsider_prompt');
        for (const part of ['request_limit', 'call_limit', 'customer_service_window'] as const)
          if (!sameJson(before[part], after[part])) expected.push(part);
        const listed = viewChanges(testPair, before, after, t, TIME).filter(
          (x) => x.kind !== 'permission.declined',
        );
        expect(listed.map(partOf)).toEqual(expected);
        for (const x of listed)
          expect(x.data).toBe(
            x.kind.startsWith('request.')
              ? after.requests[x.subject as string]
              : after[partOf(x) as 'permission'],
          );
      }),
      { seed: 1307, numRuns: 300 },
    );
  });
});

describe('what each change says', () => {
  const env = businessRuleEnv(policyBook(), testPair.business);
  const requestId = 'wamid.A';
  const history = [
    facts.requestSent({ at: T0, requestId }),
    facts.requestDelivered({ at: T0 + 5, requestId }),
    facts.permissionGranted({ at: T0 + 60, requestId }),
  ];

  it('a grant answering a request: the request is accepted, then the permission granted until its expiry', () => {
    const changes = changesBetween(testPair, history, T0 + 60, env);
    expect(said(changes).map((c) => [c.kind, c.at])).toEqual([
      ['request.sent', T0],
      ['request_limit.reached', T0],
      ['request.delivered', T0 + 5],
      ['request.accepted', T0 + 60],
      ['permission.granted', T0 + 60],
    ]);
    const granted = changes.at(-1) as PairChange;
    expect(granted.data).toEqual({
      status: 'temporary',
      expires_at: T0 + 60 + WEEK,
      via: 'request',
      since: T0 + 60,
    });
    expect(granted.cause).toEqual({ kind: 'fact', type: 'PermissionGranted', key: history[2]?.key });
    expect(changes[1]?.data).toEqual({ reached: true, until: T0 + DAY });
  });

  it('no webhook comes when a grant expires or a limit frees: time causes those changes, at their instant', () => {
    const changes = changesBetween(testPair, history, T0 + 3 * WEEK, env, T0 + 60);
    expect(said(changes).map((c) => [c.kind, c.at, c.cause.kind])).toEqual([
      ['request_limit.released', T0 + DAY, 'time'],
      ['request.expired', T0 + 60 + WEEK, 'time'],
      ['permission.expired', T0 + 60 + WEEK, 'time'],
    ]);
    expect(changes[2]?.data).toEqual({ status: 'no_permission', ended: 'expired', since: T0 + 60 + WEEK });
  });

  it('a grant that expires before the next fact: the expiry is reported at its own instant, not with the fact', () => {
    const changes = changesBetween(
      testPair,
      [facts.permissionGranted({ at: T0 }), facts.userMessaged({ at: T0 + 2 * WEEK })],
      T0 + 2 * WEEK,
      env,
    );
    expect(said(changes).map((c) => [c.kind, c.at - T0, c.cause.kind])).toEqual([
      ['permission.granted', 0, 'fact'],
      ['permission.expired', WEEK, 'time'],
      ['customer_service_window.opened', 2 * WEEK, 'fact'],
    ]);
  });

  it('a decline: the request is declined, and the permission news says so', () => {
    const changes = changesBetween(
      testPair,
      [...history.slice(0, 2), facts.permissionDeclined({ at: T0 + 70, requestId })],
      T0 + 70,
      env,
      T0 + 5,
    );
    expect(said(changes).map((c) => [c.kind, c.subject])).toEqual([
      ['request.declined', requestId],
      ['permission.declined', requestId],
    ]);
  });

  it('unanswered calls: the reconsider prompt, then the automatic revoke; the call limit binds with the hold', () => {
    const calls = ['wacid.1', 'wacid.2', 'wacid.3', 'wacid.4'];
    const missed = calls.flatMap((callId, i) => [
      facts.callAttempted({ at: T0 + HOUR * (i + 1), callId }),
      facts.callUnanswered({ at: T0 + HOUR * (i + 1) + 30, callId }),
    ]);
    const changes = changesBetween(
      testPair,
      [facts.permissionGranted({ at: T0, permanent: true }), ...missed],
      T0 + DAY,
      env,
      T0,
    );
    expect(said(changes).map((c) => c.kind)).toEqual(['permission.reconsider_prompt', 'permission.revoked']);
    expect(changes[1]?.data).toEqual({
      status: 'no_permission',
      ended: 'revoked',
      by: 'automatic',
      since: T0 + 4 * HOUR + 30,
    });
    const tight = businessRuleEnv(
      policyBook({ connectedCallLimits: [{ periodSeconds: DAY, maxAllowed: 1 }] }),
      testPair.business,
    );
    const held = changesBetween(
      testPair,
      [
        facts.permissionGranted({ at: T0, permanent: true }),
        facts.callAttempted({ at: T0 + 10, callId: 'wacid.X' }),
      ],
      T0 + HOUR,
      tight,
      T0,
    );
    expect(said(held).map((c) => [c.kind, c.at, c.data])).toEqual([
      ['call_limit.reached', T0 + 10, { reached: true, until: T0 + 130 }],
      ['call_limit.released', T0 + 130, { reached: false }],
    ]);
  });

  it('the customer-service window opens at a user message, moves on at the next, and closes 24 h after the last', () => {
    const changes = changesBetween(
      testPair,
      [facts.userMessaged({ at: T0 }), facts.userMessaged({ at: T0 + HOUR })],
      T0 + 2 * DAY,
      env,
    );
    expect(said(changes).map((c) => [c.kind, c.at, c.data])).toEqual([
      ['customer_service_window.opened', T0, { open: true, until: T0 + DAY }],
      ['customer_service_window.opened', T0 + HOUR, { open: true, until: T0 + HOUR + DAY }],
      ['customer_service_window.closed', T0 + HOUR + DAY, { open: false }],
    ]);
  });

  it('a policy era that raises a limit frees it at its start, with no fact', () => {
    const eraEnv = businessRuleEnv(
      policyBook({ connectedCallLimits: [{ periodSeconds: DAY, maxAllowed: 1 }] }, [
        { from: T0 + HOUR, override: { connectedCallLimits: [{ periodSeconds: DAY, maxAllowed: 2 }] } },
      ]),
      testPair.business,
    );
    const changes = changesBetween(
      testPair,
      [
        facts.permissionGranted({ at: T0, permanent: true }),
        facts.callConnected({ at: T0 + 60, callId: 'wacid.1' }),
      ],
      T0 + 2 * HOUR,
      eraEnv,
      T0,
    );
    expect(said(changes).map((c) => [c.kind, c.at, c.cause.kind])).toEqual([
      ['call_limit.reached', T0 + 60, 'fact'],
      ['call_limit.released', T0 + HOUR, 'time'],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../domain/commands.js';
import type { Fact } from '../domain/facts.js';
import { defaultPolicy, policyBook } from '../policy/policy.js';
import { commands, DAY, facts, HOUR, MINUTE, T0, testPair } from '../test/builders.js';
import { given, refusal } from '../test/deciderSpec.js';
import { given as onEngine } from '../test/spec.js';

const permanent = facts.permissionGranted({ at: T0 - DAY, permanent: true });
/** `n` connected business-initiated calls, one a minute from `from`. */
const connectedCalls = (n: number, from: number, prefix = 'wacid.C'): Fact[] =>
  Array.from({ length: n }, (_, i) =>
    facts.callConnected({ at: from + i * MINUTE, callId: `${prefix}${i}` }),
  );

describe('"Your business can make a maximum of 100 connected calls every 24 hours"', () => {
  it('the 100th connected call is allowed, the 101st refused until the first leaves the 24-hour window', () => {
    const g = given([permanent, ...connectedCalls(99, T0)]);
    g.when(commands.startCall({ callId: 'wacid.C99' }), T0 + 2 * HOUR).thenRecords([
      facts.callAttempted({ at: T0 + 2 * HOUR, callId: 'wacid.C99' }),
    ]);
    const full = given([permanent, ...connectedCalls(100, T0)]);
    full
      .when(commands.startCall({ callId: 'wacid.NEXT' }), T0 + 2 * HOUR)
      .thenRefuses(refusal(ErrorCode.connectedCallLimit, T0 + DAY));
    full
      .when(commands.startCall({ callId: 'wacid.NEXT' }), T0 + DAY)
      .thenRecords([facts.callAttempted({ at: T0 + DAY, callId: 'wacid.NEXT' })]);
  });

  it('only connected calls count: unanswered and rejected calls leave the limit alone', () => {
    const missed = Array.from({ length: 150 }, (_, i) =>
      i % 2 === 0
        ? facts.callUnanswered({ at: T0 + i, callId: `wacid.M${i}` })
        : facts.callRejected({ at: T0 + i, callId: `wacid.M${i}` }),
    );
    // The 4-streak would revoke the permission; lift it so the limit alone is under test.
    const patient = policyBook({ unansweredReconsiderAt: 1000, unansweredRevokeAt: 1000 });
    const g = given([facts.permissionGranted({ at: T0 - 1 }), ...missed], { policy: patient });
    const start = g.at(T0 + 200).action('start_call');
    expect(start).toEqual({
      action_name: 'start_call',
      can_perform_action: true,
      limits: [{ time_period: 'PT24H', max_allowed: 100, current_usage: 0 }],
    });
  });

  it('user-initiated calls do not count against the business’s limit', () => {
    const inbound = Array.from({ length: 100 }, (_, i) =>
      facts.callConnected({ at: T0 + i, callId: `wacid.IN${i}`, direction: 'user_initiated' }),
    );
    given([permanent, ...inbound])
      .when(commands.startCall({ callId: 'wacid.OUT' }), T0 + HOUR)
      .thenRecords([facts.callAttempted({ at: T0 + HOUR, callId: 'wacid.OUT' })]);
  });

  it('"Limits (Per business + WhatsApp user pair)": another user’s or another number’s calls do not count', () => {
    const otherUser = { ...testPair, user: '447700900999' };
    const otherNumber = { ...testPair, business: '109876543210000' };
    const elsewhere = [otherUser, otherNumber].flatMap((pair) =>
      Array.from({ length: 100 }, (_, i) =>
        facts.callConnected({ pair, at: T0 + i, callId: `wacid.${pair.business}.${pair.user}.${i}` }),
      ),
    );
    given([permanent, ...elsewhere])
      .when(commands.startCall({ callId: 'wacid.MINE' }), T0 + HOUR)
      .thenRecords([facts.callAttempted({ at: T0 + HOUR, callId: 'wacid.MINE' })]);
  });
});

describe('calls callpermit allowed hold a place for call_attempt_hold_seconds', () => {
  const hold = defaultPolicy.callAttemptHoldSeconds;

  it('with 99 connected and one allowed call still ringing, the next call waits for the hold to end', () => {
    const g = given([permanent, ...connectedCalls(99, T0)]);
    const at = T0 + 3 * HOUR;
    g.when(commands.startCall({ callId: 'wacid.A' }), at).thenRecords([
      facts.callAttempted({ at, callId: 'wacid.A' }),
    ]);
    g.when(commands.startCall({ callId: 'wacid.B' }), at + 1).thenRefuses(
      refusal(ErrorCode.connectedCallLimit, at + hold),
    );
    // Meta's GET counts connected calls only; the guard's refusal is what holds the place.
    expect(g.at(at + 1).action('start_call')).toEqual({
      action_name: 'start_call',
      can_perform_action: false,
      limits: [{ time_period: 'PT24H', max_allowed: 100, current_usage: 99 }],
    });
    g.when(commands.startCall({ callId: 'wacid.B' }), at + hold).thenRecords([
      facts.callAttempted({ at: at + hold, callId: 'wacid.B' }),
    ]);
  });

  it('an outcome releases the place: unanswered at once, connected by becoming a connected call', () => {
    const at = T0 + 3 * HOUR;
    const base = [permanent, ...connectedCalls(99, T0), facts.callAttempted({ at, callId: 'wacid.A' })];
    given([...base, facts.callUnanswered({ at: at + 30, callId: 'wacid.A' })])
      .when(commands.startCall({ callId: 'wacid.B' }), at + 31)
      .thenRecords([facts.callAttempted({ at: at + 31, callId: 'wacid.B' })]);
    given([...base, facts.callConnected({ at: at + 30, callId: 'wacid.A' })])
      .when(commands.startCall({ callId: 'wacid.B' }), at + 31)
      .thenRefuses(refusal(ErrorCode.connectedCallLimit, T0 + DAY));
  });
});

describe('policy eras: 5 → 10 → 100 connected calls a day', () => {
  const era10 = T0;
  const era100 = T0 + 30 * DAY;
  const policy = policyBook({ connectedCallLimits: [{ periodSeconds: DAY, maxAllowed: 5 }] }, [
    { from: era10, override: { connectedCallLimits: [{ periodSeconds: DAY, maxAllowed: 10 }] } },
    { from: era100, override: { connectedCallLimits: [{ periodSeconds: DAY, maxAllowed: 100 }] } },
  ]);

  it('each instant is judged under the limit of its own time', () => {
    const before = era10 - 2 * HOUR;
    const history = [
      facts.permissionGranted({ at: before - DAY, permanent: true }),
      ...connectedCalls(5, before, 'wacid.E5.'),
    ];
    const g = given(history, { policy });
    g.when(commands.startCall({ callId: 'wacid.X' }), era10 - 1).thenRefuses(
      refusal(ErrorCode.connectedCallLimit, before + DAY),
    );
    // The same five calls, one second later, are under the new era's 10.
    g.when(commands.startCall({ callId: 'wacid.X' }), era10).thenRecords([
      facts.callAttempted({ at: era10, callId: 'wacid.X' }),
    ]);
    expect(g.at(era10 - 1).action('start_call').limits).toEqual([
      { time_period: 'PT24H', max_allowed: 5, current_usage: 5, limit_expiration_time: before + DAY },
    ]);
    expect(g.at(era10).action('start_call').limits).toEqual([
      { time_period: 'PT24H', max_allowed: 10, current_usage: 5 },
    ]);
  });

  it('a replay with a new policy book re-judges the same history', async () => {
    const day = era100 - 12 * HOUR;
    const history = [facts.permissionGranted({ at: T0, permanent: true }), ...connectedCalls(10, day)];
    const g = onEngine(history, { policy });
    expect((await g.at(day + HOUR).action('start_call')).can_perform_action).toBe(false);
    expect((await g.at(era100).action('start_call')).limits).toEqual([
      { time_period: 'PT24H', max_allowed: 100, current_usage: 10 },
    ]);
    const engine = await g.engine();
    expect(await engine.replay()).toEqual({ streams: 1, facts: 11 });
    expect((await g.at(day + HOUR).action('start_call')).can_perform_action).toBe(false);
  });
});

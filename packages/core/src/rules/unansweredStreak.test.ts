import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../domain/commands.js';
import type { Fact } from '../domain/facts.js';
import { commands, DAY, facts, HOUR, T0 } from '../test/builders.js';
import { given, refusal } from '../test/deciderSpec.js';

const granted = facts.permissionGranted({ at: T0 - HOUR, permanent: true });
const unanswered = (i: number) => facts.callUnanswered({ at: T0 + i * HOUR, callId: `wacid.U${i}` });
const rejected = (i: number) => facts.callRejected({ at: T0 + i * HOUR, callId: `wacid.U${i}` });
const misses = (n: number): Fact[] => Array.from({ length: n }, (_, i) => unanswered(i));

describe('"2 consecutive unanswered calls result in a system message to reconsider an approved permission"', () => {
  it('the second miss in a row prompts the user; the first does not', () => {
    const one = given([granted, ...misses(1)]);
    expect(one.at(T0 + DAY).state().notices).toEqual([]);
    const two = given([granted, ...misses(2)]);
    expect(two.at(T0 + DAY).state().notices).toEqual([
      { type: 'reconsider_prompted', at: T0 + HOUR, callId: 'wacid.U1' },
    ]);
    // A prompt is a message, not a revoke.
    expect(two.at(T0 + DAY).permission()).toEqual({ status: 'permanent' });
  });

  it('"When business-initiated calls go unanswered or are rejected": a rejected call counts as a miss', () => {
    const g = given([granted, rejected(0), unanswered(1)]);
    expect(
      g
        .at(T0 + DAY)
        .state()
        .notices.map((n) => n.type),
    ).toEqual(['reconsider_prompted']);
  });
});

describe('"4 consecutive unanswered calls result in an approved permission being automatically revoked."', () => {
  it('three misses keep the permission; the fourth revokes it', () => {
    const three = given([granted, ...misses(3)]);
    expect(three.at(T0 + 3 * HOUR).permission()).toEqual({ status: 'permanent' });
    const four = given([granted, ...misses(4)]);
    expect(four.at(T0 + 3 * HOUR - 1).permission()).toEqual({ status: 'permanent' });
    expect(four.at(T0 + 3 * HOUR).permission()).toEqual({ status: 'no_permission' });
    expect(four.at(T0 + DAY).state().notices).toEqual([
      { type: 'reconsider_prompted', at: T0 + HOUR, callId: 'wacid.U1' },
      { type: 'auto_revoked', at: T0 + 3 * HOUR, callId: 'wacid.U3' },
    ]);
    four
      .when(commands.startCall({ callId: 'wacid.NEXT' }), T0 + 4 * HOUR)
      .thenRefuses(refusal(ErrorCode.noPermission));
  });

  it('"The user may again update this if they so choose."', () => {
    const g = given([granted, ...misses(4), facts.permissionGranted({ at: T0 + DAY })]);
    expect(g.at(T0 + DAY).permission()).toEqual({ status: 'temporary', expiration_time: T0 + 8 * DAY });
  });

  it('Meta’s own revoke webhook for the same streak changes nothing more', () => {
    const g = given([granted, ...misses(4), facts.permissionRevoked({ at: T0 + 3 * HOUR, by: 'automatic' })]);
    const state = g.at(T0 + DAY).state();
    expect(state.permission).toMatchObject({
      status: 'revoked',
      revokedBy: 'automatic',
      since: T0 + 3 * HOUR,
    });
    expect(state.notices.filter((n) => n.type === 'auto_revoked')).toHaveLength(1);
  });

  it('the streak starts again after a revoke: four more misses after a new grant revoke it again', () => {
    const again = Array.from({ length: 4 }, (_, i) => unanswered(10 + i));
    const g = given([
      granted,
      ...misses(4),
      facts.permissionGranted({ at: T0 + 5 * HOUR, permanent: true }),
      ...again,
    ]);
    expect(g.at(T0 + 12 * HOUR).permission()).toEqual({ status: 'permanent' });
    expect(g.at(T0 + 13 * HOUR).permission()).toEqual({ status: 'no_permission' });
  });
});

describe('what breaks the streak (callpermit’s choice where Meta is silent)', () => {
  it('a connected call of either direction resets it', () => {
    for (const direction of ['business_initiated', 'user_initiated'] as const) {
      const g = given([
        granted,
        ...misses(3),
        facts.callConnected({ at: T0 + 3 * HOUR, callId: 'wacid.OK', direction }),
        unanswered(4),
        unanswered(5),
        unanswered(6),
      ]);
      expect(g.at(T0 + DAY).permission()).toEqual({ status: 'permanent' });
      expect(g.at(T0 + DAY).state().unansweredStreak).toBe(3);
    }
  });

  it('a new grant resets it', () => {
    const g = given([granted, ...misses(3), facts.permissionGranted({ at: T0 + 3 * HOUR }), unanswered(4)]);
    expect(g.at(T0 + DAY).permission()).toEqual({
      status: 'temporary',
      expiration_time: T0 + 3 * HOUR + 7 * DAY,
    });
    expect(g.at(T0 + DAY).state().unansweredStreak).toBe(1);
  });

  it('a permanent permission granted again resets it, as a temporary one granted again does', () => {
    const g = given([
      granted,
      ...misses(3),
      facts.permissionGranted({ at: T0 + 3 * HOUR, permanent: true }),
      unanswered(4),
    ]);
    expect(g.at(T0 + DAY).permission()).toEqual({ status: 'permanent' });
    expect(g.at(T0 + DAY).state().unansweredStreak).toBe(1);
  });

  it('the same call reported twice (terminate and a status) is one miss', () => {
    const g = given([
      granted,
      facts.callUnanswered({ at: T0, callId: 'wacid.X' }),
      facts.callRejected({ at: T0 + 1, callId: 'wacid.X' }),
    ]);
    expect(g.at(T0 + DAY).state().unansweredStreak).toBe(1);
  });

  it('misses without any permission still count, and the fourth clears the streak with nothing to revoke', () => {
    const g = given([...misses(4)]);
    const state = g.at(T0 + DAY).state();
    expect(state.unansweredStreak).toBe(0);
    expect(state.notices.map((n) => n.type)).toEqual(['reconsider_prompted']);
  });
});

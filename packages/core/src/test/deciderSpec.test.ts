// The Decider spec checks what it says it checks: a spec that should fail does.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../domain/commands.js';
import { commands, facts, HOUR, T0 } from './builders.js';
import { given, refusal } from './deciderSpec.js';

const granted = facts.permissionGranted({ at: T0, permanent: true });

describe('the Decider spec', () => {
  it('thenRecords fails on a refusal or on other facts; thenRefuses on an allowance or another code', () => {
    expect(() =>
      given([])
        .when(commands.startCall(), T0)
        .thenRecords([facts.callAttempted({ at: T0 })]),
    ).toThrow(/should be allowed/);
    expect(() =>
      given([granted])
        .when(commands.startCall(), T0)
        .thenRecords([facts.callAttempted({ at: T0 + 1 })]),
    ).toThrow();
    expect(() =>
      given([granted]).when(commands.startCall(), T0).thenRefuses(refusal(ErrorCode.noPermission)),
    ).toThrow(/should be refused/);
    expect(() =>
      given([]).when(commands.startCall(), T0).thenRefuses(refusal(ErrorCode.connectedCallLimit)),
    ).toThrow();
  });

  it('an allowed command is recorded: the next command is decided with its fact', () => {
    const g = given([granted], {});
    g.when(commands.startCall({ callId: 'wacid.1' }), T0 + HOUR).thenRecords([
      facts.callAttempted({ at: T0 + HOUR, callId: 'wacid.1' }),
    ]);
    expect(
      g
        .at(T0 + HOUR)
        .state()
        .calls.get('wacid.1')?.attemptedAt,
    ).toBe(T0 + HOUR);
  });

  it('refuses to decide before the pair’s latest fact: that is the Engine’s (commands never go back in time)', () => {
    expect(() => given([granted]).when(commands.startCall(), T0 - 1)).not.toThrow();
    expect(() =>
      given([granted])
        .when(commands.startCall(), T0 - 1)
        .thenRecords([]),
    ).toThrow(/engine spec/);
  });
});

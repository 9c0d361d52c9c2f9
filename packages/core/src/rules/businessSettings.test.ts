import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../domain/commands.js';
import { commands, DAY, facts, HOUR, T0 } from '../test/builders.js';
import { given, refusal } from '../test/deciderSpec.js';

// Reference §7: 138000 "calling not enabled" on the number; §8: `calling.status` ENABLED | DISABLED.
const granted = facts.permissionGranted({ at: T0 - HOUR, expiresAt: T0 + 6 * DAY });
const window = facts.userMessaged({ at: T0 - HOUR });
const disabled = facts.callingSettingChanged({ at: T0, enabled: false });
const enabled = facts.callingSettingChanged({ at: T0 + DAY, enabled: true });

describe('calling not enabled on the number (138000)', () => {
  it('while the last known calling status is DISABLED, calls and both kinds of request are refused with 138000', () => {
    const g = given([granted, window, disabled]);
    g.when(commands.startCall({ callId: 'wacid.A' }), T0 + HOUR).thenRefuses(
      refusal(ErrorCode.callingDisabled),
    );
    g.when(commands.sendRequest({ requestId: 'wamid.A', channel: 'free_form' }), T0 + HOUR).thenRefuses(
      refusal(ErrorCode.callingDisabled),
    );
    g.when(commands.sendRequest({ requestId: 'wamid.B', channel: 'template' }), T0 + HOUR).thenRefuses(
      refusal(ErrorCode.callingDisabled),
    );
    const view = g.at(T0 + HOUR).view();
    expect(view.actions.map((a) => a.can_perform_action)).toEqual([false, false]);
  });

  it('ENABLED again lifts it from that instant; before any status was known, calls were allowed', () => {
    const g = given([granted, window, disabled, enabled]);
    g.when(commands.startCall({ callId: 'wacid.before' }), T0 - 1).thenRecords([
      facts.callAttempted({ at: T0 - 1, callId: 'wacid.before' }),
    ]);
    g.when(commands.startCall({ callId: 'wacid.after' }), T0 + DAY).thenRecords([
      facts.callAttempted({ at: T0 + DAY, callId: 'wacid.after' }),
    ]);
  });

  it('an unknown status is allowed: a pair whose business never reported one decides as before', () => {
    given([granted])
      .when(commands.startCall({ callId: 'wacid.X' }), T0)
      .thenRecords([facts.callAttempted({ at: T0, callId: 'wacid.X' })]);
  });
});

import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../domain/commands.js';
import { commands, DAY, facts, HOUR, T0 } from '../test/builders.js';
import { given, refusal } from '../test/spec.js';

// Reference §7: 138000 "calling not enabled" on the number; §8: `calling.status` ENABLED | DISABLED.
const granted = facts.permissionGranted({ at: T0 - HOUR, expiresAt: T0 + 6 * DAY });
const window = facts.userMessaged({ at: T0 - HOUR });
const disabled = facts.callingSettingChanged({ at: T0, enabled: false });
const enabled = facts.callingSettingChanged({ at: T0 + DAY, enabled: true });

describe('calling not enabled on the number (138000)', () => {
  it('while the last known calling status is DISABLED, calls and both kinds of request are refused with 138000', async () => {
    const g = given([granted, window, disabled]);
    await g
      .when(commands.startCall({ callId: 'wacid.A' }), T0 + HOUR)
      .then(refusal(ErrorCode.callingDisabled));
    await g
      .when(commands.sendRequest({ requestId: 'wamid.A', channel: 'free_form' }), T0 + HOUR)
      .then(refusal(ErrorCode.callingDisabled));
    await g
      .when(commands.sendRequest({ requestId: 'wamid.B', channel: 'template' }), T0 + HOUR)
      .then(refusal(ErrorCode.callingDisabled));
    const view = await g.at(T0 + HOUR).view();
    expect(view.actions.map((a) => a.can_perform_action)).toEqual([false, false]);
  });

  it('ENABLED again lifts it from that instant; before any status was known, calls were allowed', async () => {
    const g = given([granted, window, disabled, enabled]);
    await g
      .when(commands.startCall({ callId: 'wacid.before' }), T0 - 1)
      .then([facts.callAttempted({ at: T0 - 1, callId: 'wacid.before' })]);
    await g
      .when(commands.startCall({ callId: 'wacid.after' }), T0 + DAY)
      .then([facts.callAttempted({ at: T0 + DAY, callId: 'wacid.after' })]);
  });

  it('an unknown status is allowed: a pair whose business never reported one decides as before', async () => {
    await given([granted])
      .when(commands.startCall({ callId: 'wacid.X' }), T0)
      .then([facts.callAttempted({ at: T0, callId: 'wacid.X' })]);
  });
});

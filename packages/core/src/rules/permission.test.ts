import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../domain/commands.js';
import { commands, DAY, facts, HOUR, T0, WEEK } from '../test/builders.js';
import { given, refusal } from '../test/deciderSpec.js';
import { given as onEngine } from '../test/spec.js';

const grantedAt = T0 + 60;

describe('temporary permission', () => {
  it('"Temporary permissions are granted for 7 calendar days (168 hours)"', () => {
    const g = given([facts.permissionGranted({ at: grantedAt })]);
    expect(g.at(grantedAt + 168 * 3600 - 1).permission()).toEqual({
      status: 'temporary',
      expiration_time: grantedAt + 168 * 3600,
    });
    expect(g.at(grantedAt + 168 * 3600).permission()).toEqual({ status: 'no_permission' });
  });

  it('"Calculated as the number of seconds in a day multiplied by 7, from time of user’s approval."', () => {
    // The request went out days before; the 7 days run from the approval, not from the send or delivery.
    const g = given([
      facts.requestSent({ at: T0, requestId: 'wamid.A' }),
      facts.requestDelivered({ at: T0 + 10, requestId: 'wamid.A' }),
      facts.permissionGranted({ at: T0 + 3 * DAY, requestId: 'wamid.A' }),
    ]);
    expect(g.at(T0 + 3 * DAY).permission()).toEqual({
      status: 'temporary',
      expiration_time: T0 + 3 * DAY + 86400 * 7,
    });
  });

  it('"The `expiration_timestamp` field included in the accepted permission webhook indicates the time this permission will expire."', () => {
    // Meta's own sample pairs a grant with an expiry 16 days later: Meta's number wins over the policy's.
    const expiresAt = 1_768_550_400;
    const g = given([facts.permissionGranted({ at: T0, requestId: 'wamid.A', expiresAt })]);
    expect(g.at(T0 + 10 * DAY).permission()).toEqual({
      status: 'temporary',
      expiration_time: expiresAt,
    });
    expect(g.at(expiresAt).permission()).toEqual({ status: 'no_permission' });
  });

  it('"No webhook is sent when a temporary permission expires." (time alone ends it, and the call is refused)', () => {
    const g = given([facts.permissionGranted({ at: grantedAt })]);
    g.when(commands.startCall({ callId: 'wacid.LATE' }), grantedAt + WEEK).thenRefuses(
      refusal(ErrorCode.noPermission),
    );
  });

  it('half-open: "a grant expiring at E holds for t < E"', () => {
    const E = T0 + 1000;
    const g = given([facts.permissionGranted({ at: T0, expiresAt: E })]);
    g.when(commands.startCall({ callId: 'wacid.BEFORE' }), E - 1).thenRecords([
      facts.callAttempted({ at: E - 1, callId: 'wacid.BEFORE' }),
    ]);
    g.when(commands.startCall({ callId: 'wacid.AT' }), E).thenRefuses(refusal(ErrorCode.noPermission));
    expect(g.at(E).state().permission.status).toBe('temporary'); // expiry is applied by the next fact
    expect(g.at(E).permission()).toEqual({ status: 'no_permission' });
  });

  it('a new temporary grant restarts the 7 days', () => {
    const g = given([facts.permissionGranted({ at: T0 }), facts.permissionGranted({ at: T0 + 5 * DAY })]);
    expect(g.at(T0 + 8 * DAY).permission()).toEqual({
      status: 'temporary',
      expiration_time: T0 + 5 * DAY + WEEK,
    });
  });
});

describe('permanent permission', () => {
  it('"Permanent permissions do not expire, but they have the same connected calls limit."', () => {
    const g = given([facts.permissionGranted({ at: T0, permanent: true, requestId: 'wamid.A' })]);
    expect(g.at(T0 + 10 * 365 * DAY).permission()).toEqual({ status: 'permanent' });
    const calls = Array.from({ length: 100 }, (_, i) =>
      facts.callConnected({ at: T0 + 100 + i, callId: `wacid.C${i}` }),
    );
    const busy = given([facts.permissionGranted({ at: T0, permanent: true }), ...calls]);
    busy
      .when(commands.startCall({ callId: 'wacid.C100' }), T0 + 1000)
      .thenRefuses(refusal(ErrorCode.connectedCallLimit, T0 + 100 + DAY));
  });

  it('"User has the option to choose between temporary or permanent."', () => {
    const g = given([
      facts.requestSent({ at: T0, requestId: 'wamid.A' }),
      facts.permissionGranted({ at: T0 + 5, requestId: 'wamid.A', permanent: true }),
    ]);
    expect(g.at(T0 + 5).permission()).toEqual({ status: 'permanent' });
  });

  it('"Permanent permission data will be stored until it is revoked."', () => {
    const g = given([
      facts.permissionGranted({ at: T0, permanent: true }),
      facts.permissionRevoked({ at: T0 + 30 * DAY }),
    ]);
    expect(g.at(T0 + 30 * DAY - 1).permission()).toEqual({ status: 'permanent' });
    expect(g.at(T0 + 30 * DAY).permission()).toEqual({ status: 'no_permission' });
  });

  it('"Users can review and change calling permission for a business at any time in the business profile." (permanent → temporary)', () => {
    const g = given([
      facts.permissionGranted({ at: T0, permanent: true }),
      facts.permissionGranted({ at: T0 + DAY, permanent: false, expiresAt: T0 + 8 * DAY }),
    ]);
    expect(g.at(T0 + DAY).permission()).toEqual({ status: 'temporary', expiration_time: T0 + 8 * DAY });
    expect(g.at(T0 + 8 * DAY).permission()).toEqual({ status: 'no_permission' });
  });
});

describe('who grants and revokes', () => {
  it('"If you want to place a call to a WhatsApp user, your business must receive user permission first." (138006)', () => {
    given([]).when(commands.startCall(), T0).thenRefuses(refusal(ErrorCode.noPermission));
    given([facts.permissionGranted({ at: T0 })])
      .when(commands.startCall(), T0)
      .thenRecords([facts.callAttempted({ at: T0 })]);
  });

  it('"WhatsApp user provides call permission via Business Profile" (a grant without any request)', () => {
    const g = given([facts.permissionGranted({ at: T0, via: 'profile' })]);
    expect(g.at(T0).permission()).toEqual({ status: 'temporary', expiration_time: T0 + WEEK });
    expect(g.at(T0).requests()).toEqual([]);
  });

  it('"Business does not have control over this permission as it is only granted by the user and can only be revoked by the user, at any time."', () => {
    for (const revokedAfter of [1, DAY, WEEK - 1]) {
      const g = given([
        facts.permissionGranted({ at: T0 }),
        facts.permissionRevoked({ at: T0 + revokedAfter }),
      ]);
      expect(g.at(T0 + revokedAfter - 1).permission()).toEqual({
        status: 'temporary',
        expiration_time: T0 + WEEK,
      });
      expect(g.at(T0 + revokedAfter).permission()).toEqual({ status: 'no_permission' });
      g.when(commands.startCall({ callId: `wacid.R${revokedAfter}` }), T0 + revokedAfter).thenRefuses(
        refusal(ErrorCode.noPermission),
      );
    }
  });

  it('"The user may again update this if they so choose." (a grant after a revoke holds again)', () => {
    const g = given([
      facts.permissionGranted({ at: T0, permanent: true }),
      facts.permissionRevoked({ at: T0 + DAY }),
      facts.permissionGranted({ at: T0 + 2 * DAY, permanent: true }),
    ]);
    expect(g.at(T0 + 2 * DAY).permission()).toEqual({ status: 'permanent' });
  });
});

describe('facts of one second', () => {
  it('a grant and a revoke in the same second leave no permission, whichever arrives first', async () => {
    const grant = facts.permissionGranted({ at: T0 + HOUR, permanent: true });
    const revoke = facts.permissionRevoked({ at: T0 + HOUR });
    for (const [first, second] of [
      [grant, revoke],
      [revoke, grant],
    ] as const) {
      const g = onEngine([first]);
      await (await g.engine()).ingest([second]);
      expect(await g.at(T0 + HOUR).permission()).toEqual({ status: 'no_permission' });
    }
  });
});

describe('callback permission', () => {
  it('"The WhatsApp user automatically provides temporary call permissions by placing a call to the business." (callback setting on)', () => {
    const g = given([
      facts.callbackSettingChanged({ at: T0 - DAY, enabled: true }),
      facts.userCalled({ at: T0, callId: 'wacid.IN1' }),
    ]);
    expect(g.at(T0).permission()).toEqual({ status: 'temporary', expiration_time: T0 + WEEK });
    expect(g.at(T0).state().permission.via).toBe('callback');
  });

  it('"The callback setting must be enabled on the business phone number."', () => {
    const never = given([facts.userCalled({ at: T0 })]);
    expect(never.at(T0).permission()).toEqual({ status: 'no_permission' });
    const switchedOff = given([
      facts.callbackSettingChanged({ at: T0 - DAY, enabled: true }),
      facts.callbackSettingChanged({ at: T0 - 1, enabled: false }),
      facts.userCalled({ at: T0 }),
    ]);
    expect(switchedOff.at(T0).permission()).toEqual({ status: 'no_permission' });
    // The setting in force at the call's instant decides, even when the setting change arrives late.
    const late = given([
      facts.userCalled({ at: T0 }),
      facts.callbackSettingChanged({ at: T0 - 1, enabled: true }),
    ]);
    expect(late.at(T0).permission()).toEqual({ status: 'temporary', expiration_time: T0 + WEEK });
  });

  it('a setting change that arrives late re-judges the user’s call, though other facts came in between', async () => {
    const g = onEngine([facts.userCalled({ at: T0 })]);
    const engine = await g.engine();
    expect(await g.at(T0).permission()).toEqual({ status: 'no_permission' });
    await engine.ingest([facts.callbackSettingChanged({ at: T0 - 1, enabled: true })]);
    await engine.ingest([facts.userMessaged({ at: T0 + 10 })]);
    expect(await g.at(T0 + 20).permission()).toEqual({ status: 'temporary', expiration_time: T0 + WEEK });
  });

  it('an automatic callback grant never downgrades a permanent permission', () => {
    const g = given([
      facts.callbackSettingChanged({ at: T0 - DAY, enabled: true }),
      facts.permissionGranted({ at: T0 - 10, permanent: true }),
      facts.userCalled({ at: T0, callId: 'wacid.IN1' }),
      // Meta's scenario-5 webhook for the same call.
      facts.permissionGranted({ at: T0, callId: 'wacid.IN1', expiresAt: T0 + WEEK }),
    ]);
    expect(g.at(T0 + 2 * WEEK).permission()).toEqual({ status: 'permanent' });
  });
});

describe('PermissionObserved (Meta’s GET response)', () => {
  it('"Alternatively the current permission state can be queried from the get current call permission state endpoint." Meta wins, and the discrepancy is kept', () => {
    const g = given([
      facts.permissionGranted({ at: T0 }),
      facts.permissionObserved({ at: T0 + DAY, status: 'no_permission' }),
    ]);
    expect(g.at(T0 + DAY).permission()).toEqual({ status: 'no_permission' });
    expect(g.at(T0 + DAY).state().discrepancies).toEqual([
      { at: T0 + DAY, field: 'permission.status', ours: 'temporary', meta: 'no_permission' },
    ]);
  });

  it('an observed permanent permission holds from then on, and the difference is noted', () => {
    const g = given([facts.permissionObserved({ at: T0, status: 'permanent' })]);
    expect(g.at(T0 + 30 * DAY).permission()).toEqual({ status: 'permanent' });
    expect(g.at(T0).state().discrepancies).toEqual([
      { at: T0, field: 'permission.status', ours: 'no_permission', meta: 'permanent' },
    ]);
  });

  it('an observed temporary permission takes Meta’s expiration_time, and notes the difference', () => {
    const g = given([
      facts.permissionGranted({ at: T0 }),
      facts.permissionObserved({ at: T0 + 10, status: 'temporary', expiresAt: T0 + 3 * DAY }),
    ]);
    expect(g.at(T0 + 10).permission()).toEqual({ status: 'temporary', expiration_time: T0 + 3 * DAY });
    expect(g.at(T0 + 10).state().discrepancies).toEqual([
      { at: T0 + 10, field: 'permission.expiration_time', ours: T0 + WEEK, meta: T0 + 3 * DAY },
    ]);
  });

  it('an observation that agrees leaves no discrepancy; one with usage compares each limit', () => {
    const g = given([
      facts.permissionGranted({ at: T0, permanent: true }),
      facts.requestSent({ at: T0 - DAY, requestId: 'wamid.A' }),
      facts.permissionObserved({
        at: T0 + 10,
        status: 'permanent',
        usage: [
          { action: 'send_call_permission_request', periodSeconds: WEEK, maxAllowed: 2, currentUsage: 2 },
          { action: 'start_call', periodSeconds: DAY, maxAllowed: 100, currentUsage: 0 },
        ],
      }),
    ]);
    expect(g.at(T0 + 10).state().discrepancies).toEqual([
      { at: T0 + 10, field: 'send_call_permission_request.604800s.current_usage', ours: 1, meta: 2 },
    ]);
  });
});

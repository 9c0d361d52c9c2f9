import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../domain/commands.js';
import { pairStreamId } from '../domain/pair.js';
import { commands, DAY, facts, HOUR, T0, testPair, WEEK } from '../test/builders.js';
import { given, refusal } from '../test/deciderSpec.js';
import { given as onEngine } from '../test/spec.js';

const send = (requestId: string, channel: 'template' | 'free_form' = 'template') =>
  commands.sendRequest({ requestId, channel });
const sent = (at: number, requestId: string, channel: 'template' | 'free_form' = 'template') =>
  facts.requestSent({ at, requestId, channel });

describe('"Maximum of 1 permission request in 24h"', () => {
  it('refuses a second request inside 24 hours and names the instant it becomes possible', () => {
    const g = given([sent(T0, 'wamid.A')]);
    g.when(send('wamid.B'), T0 + DAY - 1).thenRefuses(refusal(ErrorCode.requestLimit, T0 + DAY));
  });

  it('half-open: "a send at s counts in a window W while t < s + W"', () => {
    const g = given([sent(T0, 'wamid.A')]);
    g.when(send('wamid.B'), T0 + DAY).thenRecords([sent(T0 + DAY, 'wamid.B')]);
  });

  it('the first request of a pair is allowed', () => {
    given([])
      .when(send('wamid.A'), T0)
      .thenRecords([sent(T0, 'wamid.A')]);
  });
});

describe('"Maximum 2 permission requests within 7 days."', () => {
  it('refuses a third request inside 7 days until the first leaves the window', () => {
    const g = given([sent(T0, 'wamid.A'), sent(T0 + DAY, 'wamid.B')]);
    g.when(send('wamid.C'), T0 + 2 * DAY).thenRefuses(refusal(ErrorCode.requestLimit, T0 + WEEK));
    g.when(send('wamid.C'), T0 + WEEK - 1).thenRefuses(refusal(ErrorCode.requestLimit, T0 + WEEK));
    g.when(send('wamid.C'), T0 + WEEK).thenRecords([sent(T0 + WEEK, 'wamid.C')]);
  });

  it('retryAt is the instant both limits allow it, when both bind', () => {
    // Sends at T0 and T0 + 6.5 days: at T0 + 6.6 days the 24h limit frees at T0 + 7.5 days, the 7-day one at T0 + 7 days.
    const second = T0 + 6 * DAY + 12 * HOUR;
    const g = given([sent(T0, 'wamid.A'), sent(second, 'wamid.B')]);
    g.when(send('wamid.C'), second + HOUR).thenRefuses(refusal(ErrorCode.requestLimit, second + DAY));
  });
});

describe('"These limits reset when any connected call (business-initiated/user-initiated) is made between the business and WhatsApp user."', () => {
  const history = [sent(T0, 'wamid.A'), sent(T0 + DAY, 'wamid.B')];

  it('a connected business-initiated call resets both counters', () => {
    const g = given([
      ...history,
      facts.permissionGranted({ at: T0 + DAY + 10, requestId: 'wamid.B' }),
      facts.callConnected({ at: T0 + DAY + HOUR, callId: 'wacid.OUT' }),
    ]);
    g.when(send('wamid.C'), T0 + DAY + HOUR + 1).thenRecords([sent(T0 + DAY + HOUR + 1, 'wamid.C')]);
    // The counters start again from the reset: one request in 24 hours still.
    g.when(send('wamid.D'), T0 + DAY + HOUR + 2).thenRefuses(
      refusal(ErrorCode.requestLimit, T0 + 2 * DAY + HOUR + 1),
    );
  });

  it('a connected user-initiated call resets them too', () => {
    const g = given([
      ...history,
      facts.callConnected({ at: T0 + DAY + HOUR, callId: 'wacid.IN', direction: 'user_initiated' }),
    ]);
    g.when(send('wamid.C'), T0 + DAY + HOUR + 1).thenRecords([sent(T0 + DAY + HOUR + 1, 'wamid.C')]);
  });

  it('a call that was not connected does not reset them', () => {
    const g = given([
      ...history,
      facts.permissionGranted({ at: T0 + DAY + 10, requestId: 'wamid.B' }),
      facts.callUnanswered({ at: T0 + DAY + HOUR, callId: 'wacid.OUT1' }),
      facts.callRejected({ at: T0 + DAY + 2 * HOUR, callId: 'wacid.OUT2' }),
    ]);
    g.when(send('wamid.C'), T0 + 2 * DAY + 1).thenRefuses(refusal(ErrorCode.requestLimit, T0 + WEEK));
  });

  it('a request sent in the same second as the connected call counts after the reset', () => {
    const call = T0 + DAY + HOUR;
    const g = given([
      ...history,
      facts.callConnected({ at: call, callId: 'wacid.IN', direction: 'user_initiated' }),
    ]);
    g.when(send('wamid.C'), call).thenRecords([sent(call, 'wamid.C')]);
    g.when(send('wamid.D'), call).thenRefuses(refusal(ErrorCode.requestLimit, call + DAY));
    expect(g.at(call).action('send_call_permission_request').limits[0]).toMatchObject({
      current_usage: 1,
    });
  });
});

describe('"These limits apply toward permissions requests sent either as free form or template messages."', () => {
  it('a free-form request and a template request share the counters', () => {
    const g = given([facts.userMessaged({ at: T0 - HOUR }), sent(T0, 'wamid.A', 'free_form')]);
    g.when(send('wamid.B', 'template'), T0 + HOUR).thenRefuses(refusal(ErrorCode.requestLimit, T0 + DAY));
    const h = given([facts.userMessaged({ at: T0 + HOUR }), sent(T0, 'wamid.A', 'template')]);
    h.when(send('wamid.B', 'free_form'), T0 + 2 * HOUR).thenRefuses(
      refusal(ErrorCode.requestLimit, T0 + DAY),
    );
  });

  it('requests seen only through webhooks count as well (a reply names the message a request)', () => {
    const g = given([
      facts.requestSent({ at: T0, requestId: 'wamid.W', channel: 'unknown', tentative: true }),
      facts.permissionDeclined({ at: T0 + 60, requestId: 'wamid.W' }),
    ]);
    g.when(send('wamid.B'), T0 + HOUR).thenRefuses(refusal(ErrorCode.requestLimit, T0 + DAY));
  });

  it('a message seen only through its `sent` status is not yet a request', () => {
    const g = given([
      facts.requestSent({ at: T0, requestId: 'wamid.W', channel: 'unknown', tentative: true }),
    ]);
    g.when(send('wamid.B'), T0 + HOUR).thenRecords([sent(T0 + HOUR, 'wamid.B')]);
  });
});

describe('customer service window (131047)', () => {
  it('"When you are within a customer service window with a WhatsApp user, you can send a free form message with a call permission request."', () => {
    const g = given([facts.userMessaged({ at: T0 })]);
    g.when(send('wamid.A', 'free_form'), T0 + DAY - 1).thenRecords([
      sent(T0 + DAY - 1, 'wamid.A', 'free_form'),
    ]);
  });

  it('outside the window a free-form request is refused with 131047 and no retryAt (only the user can reopen it)', () => {
    given([])
      .when(send('wamid.A', 'free_form'), T0)
      .thenRefuses(refusal(ErrorCode.outsideCustomerServiceWindow));
    given([facts.userMessaged({ at: T0 })])
      .when(send('wamid.A', 'free_form'), T0 + DAY)
      .thenRefuses(refusal(ErrorCode.outsideCustomerServiceWindow));
  });

  it('a user call opens the window as a message does, and the latest user activity counts', () => {
    given([facts.userCalled({ at: T0 })])
      .when(send('wamid.A', 'free_form'), T0 + HOUR)
      .thenRecords([sent(T0 + HOUR, 'wamid.A', 'free_form')]);
    given([facts.userMessaged({ at: T0 }), facts.userMessaged({ at: T0 + 20 * HOUR })])
      .when(send('wamid.A', 'free_form'), T0 + 30 * HOUR)
      .thenRecords([sent(T0 + 30 * HOUR, 'wamid.A', 'free_form')]);
  });

  it('"Once your permission request template message is created, your business can send the template message to the user as a call permission request outside of a customer service window."', () => {
    given([])
      .when(send('wamid.A', 'template'), T0)
      .thenRecords([sent(T0, 'wamid.A', 'template')]);
  });
});

describe('a permanent permission exists (138017)', () => {
  it('"Permanent permissions do not expire" — so a request for one is refused with 138017, without retryAt', () => {
    const g = given([facts.permissionGranted({ at: T0, permanent: true })]);
    g.when(send('wamid.A'), T0 + WEEK).thenRefuses(refusal(ErrorCode.permanentPermissionExists));
    expect(g.at(T0 + WEEK).action('send_call_permission_request').can_perform_action).toBe(false);
  });

  it('a temporary permission does not stop a request (the user may make it permanent)', () => {
    given([facts.permissionGranted({ at: T0 })])
      .when(send('wamid.A'), T0 + HOUR)
      .thenRecords([sent(T0 + HOUR, 'wamid.A')]);
  });

  it('after the permanent permission is revoked, requests are possible again', () => {
    given([facts.permissionGranted({ at: T0, permanent: true }), facts.permissionRevoked({ at: T0 + DAY })])
      .when(send('wamid.A'), T0 + DAY)
      .thenRecords([sent(T0 + DAY, 'wamid.A')]);
  });
});

describe('a command is recorded once', () => {
  it('the same request id twice records one request (the key is the command’s)', async () => {
    const g = onEngine([]);
    const first = await g.when(send('wamid.A'), T0).then([sent(T0, 'wamid.A')]);
    expect(first.ok && first.facts[0]?.key).toBe(`command:${pairStreamId(testPair)}:request:wamid.A`);
    const again = await (await g.engine()).execute(send('wamid.A'), T0 + 5);
    expect(again).toEqual({ ok: true, facts: [], replayed: true, at: T0 + 5 });
    expect(await g.at(T0 + 5).requests()).toHaveLength(1);
  });
});

describe('commands never go back in time', () => {
  it('the same request id for another pair is another command', async () => {
    const engine = await onEngine([]).engine();
    const other = { ...testPair, user: '447700900999' };
    expect(await engine.execute(send('wamid.A'), T0)).toMatchObject({ ok: true });
    const second = await engine.execute({ ...send('wamid.A'), pair: other }, T0 + 1);
    expect(second).toMatchObject({ ok: true, at: T0 + 1 });
    expect(second.ok && second.facts).toHaveLength(1);
  });

  it('a request asked for before the pair’s latest fact is decided at that fact, so it cannot break the 24 h limit', async () => {
    const engine = await onEngine([]).engine();
    expect(await engine.execute(send('wamid.LATER'), T0 + 100)).toMatchObject({ ok: true, at: T0 + 100 });
    const earlier = await engine.execute(send('wamid.EARLIER'), T0 + 50);
    expect(earlier).toMatchObject({
      ok: false,
      at: T0 + 100,
      refusal: { code: ErrorCode.requestLimit, retryAt: T0 + 100 + DAY },
    });
  });
});

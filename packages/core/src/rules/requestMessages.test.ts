import { describe, expect, it } from 'vitest';
import { DAY, facts, HOUR, T0, WEEK } from '../test/builders.js';
import { given } from '../test/deciderSpec.js';

const A = 'wamid.A';
const B = 'wamid.B';
const sentA = facts.requestSent({ at: T0, requestId: A });
const deliveredA = facts.requestDelivered({ at: T0 + 10, requestId: A });

describe('"A call permission request expires when any of the following occurs:"', () => {
  it('"7 days after the permission was delivered if the consumer does not respond to the request"', () => {
    const g = given([sentA, deliveredA]);
    expect(g.at(T0 + 10 + WEEK - 1).request(A)?.state).toBe('delivered');
    expect(g.at(T0 + 10 + WEEK).request(A)).toEqual({
      id: A,
      state: 'expired',
      channel: 'template',
      sent_at: T0,
      delivered_at: T0 + 10,
      expires_at: T0 + 10 + WEEK,
    });
  });

  it('"7 days after the permission was accepted or declined by the consumer"', () => {
    for (const answer of [
      facts.permissionGranted({ at: T0 + DAY, requestId: A }),
      facts.permissionDeclined({ at: T0 + DAY, requestId: A }),
    ]) {
      const g = given([sentA, deliveredA, answer]);
      const state = answer.type === 'PermissionGranted' ? 'accepted' : 'declined';
      // Answering restarts the clock: the delivery's 7 days no longer apply.
      expect(g.at(T0 + 10 + WEEK).request(A)?.state).toBe(state);
      expect(g.at(T0 + DAY + WEEK - 1).request(A)?.state).toBe(state);
      expect(g.at(T0 + DAY + WEEK).request(A)).toMatchObject({
        state: 'expired',
        answered_at: T0 + DAY,
        expires_at: T0 + DAY + WEEK,
      });
    }
  });

  it('"The WhatsApp user interacts with a subsequent new call permission request from the business"', () => {
    // The newer request never reported delivery: the user's answer to it proves it arrived.
    const g = given([
      sentA,
      deliveredA,
      facts.requestSent({ at: T0 + 2 * DAY, requestId: B }),
      facts.permissionGranted({ at: T0 + 2 * DAY + HOUR, requestId: B }),
    ]);
    expect(g.at(T0 + 2 * DAY + HOUR - 1).request(A)?.state).toBe('delivered');
    expect(g.at(T0 + 2 * DAY + HOUR).requests()).toEqual([
      {
        id: A,
        state: 'superseded',
        channel: 'template',
        sent_at: T0,
        delivered_at: T0 + 10,
        expires_at: T0 + 2 * DAY + HOUR,
      },
      {
        id: B,
        state: 'accepted',
        channel: 'template',
        sent_at: T0 + 2 * DAY,
        delivered_at: T0 + 2 * DAY + HOUR,
        answered_at: T0 + 2 * DAY + HOUR,
        expires_at: T0 + 2 * DAY + HOUR + WEEK,
      },
    ]);
  });

  it('"Previous permission request expires immediately" when a new request is received, even before the user interacts', () => {
    const g = given([
      sentA,
      deliveredA,
      facts.permissionDeclined({ at: T0 + HOUR, requestId: A }),
      facts.requestSent({ at: T0 + 2 * DAY, requestId: B }),
      facts.requestDelivered({ at: T0 + 2 * DAY + 5, requestId: B }),
    ]);
    expect(g.at(T0 + 2 * DAY + 5).request(A)).toMatchObject({
      state: 'superseded',
      expires_at: T0 + 2 * DAY + 5,
    });
    expect(g.at(T0 + 2 * DAY + 5).request(B)?.state).toBe('delivered');
  });
});

describe('requests sent in the same second (callpermit’s choice)', () => {
  it('the later message id is the newer request: its delivery supersedes the other, not the reverse', () => {
    const g = given([
      facts.requestSent({ at: T0, requestId: 'wamid.A' }),
      facts.requestSent({ at: T0, requestId: 'wamid.B' }),
      facts.requestDelivered({ at: T0 + 10, requestId: 'wamid.B' }),
      facts.requestDelivered({ at: T0 + 20, requestId: 'wamid.A' }),
    ]);
    expect(
      g
        .at(T0 + 20)
        .requests()
        .map((r) => [r.id, r.state]),
    ).toEqual([
      ['wamid.A', 'superseded'],
      ['wamid.B', 'delivered'],
    ]);
  });
});

describe('"if the user declines a permission request, they can still grant calling permission, up until the permission request expires"', () => {
  it('an accept after a decline, before the request expires, moves the request to accepted and grants', () => {
    const g = given([
      sentA,
      deliveredA,
      facts.permissionDeclined({ at: T0 + HOUR, requestId: A }),
      facts.permissionGranted({ at: T0 + HOUR + WEEK - 1, requestId: A }),
    ]);
    expect(g.at(T0 + HOUR + WEEK - 1).request(A)).toMatchObject({
      state: 'accepted',
      answered_at: T0 + HOUR + WEEK - 1,
    });
    expect(g.at(T0 + HOUR + WEEK - 1).permission()).toEqual({
      status: 'temporary',
      expiration_time: T0 + HOUR + 2 * WEEK - 1,
    });
  });

  it('from the instant the declined request expires, it stays expired', () => {
    const g = given([
      sentA,
      deliveredA,
      facts.permissionDeclined({ at: T0 + HOUR, requestId: A }),
      facts.permissionGranted({ at: T0 + HOUR + WEEK, requestId: A }),
    ]);
    expect(g.at(T0 + HOUR + WEEK).request(A)?.state).toBe('expired');
    // Meta reported the grant all the same, and Meta wins: the permission holds.
    expect(g.at(T0 + HOUR + WEEK).permission()).toEqual({
      status: 'temporary',
      expiration_time: T0 + HOUR + 2 * WEEK,
    });
  });

  it('a decline does not revoke a permission the user granted before (callpermit’s choice)', () => {
    const g = given([
      facts.permissionGranted({ at: T0 - DAY }),
      sentA,
      deliveredA,
      facts.permissionDeclined({ at: T0 + HOUR, requestId: A }),
    ]);
    expect(g.at(T0 + HOUR).permission()).toEqual({
      status: 'temporary',
      expiration_time: T0 + 6 * DAY,
    });
  });
});

describe('requests(): "The WhatsApp user may approve (temporary or permanent), decline, or simply not respond to a call permission request."', () => {
  it('lists each request with its state at the instant asked, oldest first', () => {
    const g = given([
      facts.requestSent({ at: T0, requestId: 'wamid.FAILED' }),
      facts.requestFailed({ at: T0 + 5, requestId: 'wamid.FAILED' }),
      facts.requestSent({ at: T0 + DAY, requestId: 'wamid.SENT' }),
    ]);
    expect(g.at(T0 + DAY).requests()).toEqual([
      { id: 'wamid.FAILED', state: 'failed', channel: 'template', sent_at: T0 },
      { id: 'wamid.SENT', state: 'sent', channel: 'template', sent_at: T0 + DAY },
    ]);
  });

  it('asks about the past: the same history read at earlier instants', () => {
    const g = given([sentA, deliveredA, facts.permissionDeclined({ at: T0 + HOUR, requestId: A })]);
    expect(g.at(T0 - 1).requests()).toEqual([]);
    expect(g.at(T0).request(A)?.state).toBe('sent');
    expect(g.at(T0 + 10).request(A)?.state).toBe('delivered');
    expect(g.at(T0 + HOUR).request(A)?.state).toBe('declined');
  });

  it('a `read` status stands for delivery when `delivered` never came', () => {
    const g = given([sentA, facts.requestRead({ at: T0 + 30, requestId: A })]);
    expect(g.at(T0 + 30).request(A)).toMatchObject({ state: 'delivered', delivered_at: T0 + 30 });
    expect(g.at(T0 + 30 + WEEK).request(A)?.state).toBe('expired');
  });

  it('statuses that arrive before the send are applied by their own instants', () => {
    const g = given([deliveredA, facts.requestRead({ at: T0 + 20, requestId: A }), sentA]);
    expect(g.at(T0 + 20).request(A)).toMatchObject({
      state: 'delivered',
      sent_at: T0,
      delivered_at: T0 + 10,
    });
  });

  it('a message seen only through its `sent` status is listed once a reply names it a request', () => {
    const tentative = facts.requestSent({ at: T0, requestId: A, channel: 'unknown', tentative: true });
    expect(
      given([tentative, deliveredA])
        .at(T0 + 20)
        .requests(),
    ).toEqual([]);
    const g = given([
      tentative,
      deliveredA,
      facts.permissionGranted({ at: T0 + 20, requestId: A, permanent: true }),
    ]);
    expect(g.at(T0 + 20).requests()).toEqual([
      {
        id: A,
        state: 'accepted',
        channel: 'unknown',
        sent_at: T0,
        delivered_at: T0 + 10,
        answered_at: T0 + 20,
        expires_at: T0 + 20 + WEEK,
      },
    ]);
  });

  it('a request known only from its statuses and a reply days later counts from its send, not from the reply', () => {
    // Forty user messages in between: the state is pruned now and then, and must keep the message.
    const chatter = Array.from({ length: 40 }, (_, i) =>
      facts.userMessaged({ at: T0 + HOUR + i * 3 * HOUR }),
    );
    const g = given([
      facts.requestSent({ at: T0, requestId: A, channel: 'unknown', tentative: true }),
      deliveredA,
      ...chatter,
      facts.permissionDeclined({ at: T0 + 6 * DAY, requestId: A }),
    ]);
    expect(g.at(T0 + 6 * DAY).request(A)).toMatchObject({
      state: 'declined',
      sent_at: T0,
      delivered_at: T0 + 10,
    });
    expect(g.at(T0 + 6 * DAY).action('send_call_permission_request').limits).toEqual([
      { time_period: 'PT24H', max_allowed: 1, current_usage: 0 },
      { time_period: 'P7D', max_allowed: 2, current_usage: 1 },
    ]);
  });

  it('old requests stay listed, expired, however many facts follow', () => {
    const chatter = Array.from({ length: 70 }, (_, i) =>
      facts.userMessaged({ at: T0 + DAY + i * 12 * HOUR }),
    );
    const g = given([sentA, deliveredA, ...chatter]);
    expect(g.at(T0 + 40 * DAY).requests()).toEqual([
      {
        id: A,
        state: 'expired',
        channel: 'template',
        sent_at: T0,
        delivered_at: T0 + 10,
        expires_at: T0 + 10 + WEEK,
      },
    ]);
  });

  it('a failed request counts against the request limits all the same (callpermit’s choice)', () => {
    const g = given([sentA, facts.requestFailed({ at: T0 + 5, requestId: A })]);
    expect(g.at(T0 + HOUR).action('send_call_permission_request').limits[0]).toMatchObject({
      current_usage: 1,
    });
  });
});

describe('an answer the request lifecycle cannot take is kept as a discrepancy the views can show', () => {
  const lifecycle = (ours: string, meta: string, at: number) => ({
    at,
    field: `request.${A}.lifecycle`,
    ours,
    meta,
    origin: 'lifecycle',
  });

  it('an accept after the request expired still grants; the request stays expired, and the state says why', () => {
    const late = T0 + 10 + WEEK + HOUR;
    const g = given([sentA, deliveredA, facts.permissionGranted({ at: late, requestId: A })]);
    expect(g.at(late).request(A)?.state).toBe('expired');
    expect(g.at(late).permission().status).toBe('temporary');
    expect(g.at(late).state().discrepancies).toEqual([lifecycle('expired', 'accepted', late)]);
  });

  it('a decline after an accept, and an answer to a superseded or failed request, each leave one', () => {
    const g = given([
      sentA,
      deliveredA,
      facts.permissionGranted({ at: T0 + HOUR, requestId: A }),
      facts.permissionDeclined({ at: T0 + 2 * HOUR, requestId: A }),
      facts.requestSent({ at: T0 + DAY, requestId: B }),
      facts.requestDelivered({ at: T0 + DAY + 1, requestId: B }),
      facts.permissionDeclined({ at: T0 + DAY + 2, requestId: A }),
      facts.requestSent({ at: T0 + 2 * DAY, requestId: 'wamid.C' }),
      facts.requestFailed({ at: T0 + 2 * DAY + 1, requestId: 'wamid.C' }),
      facts.permissionGranted({ at: T0 + 2 * DAY + 2, requestId: 'wamid.C' }),
    ]);
    const state = g.at(T0 + 2 * DAY + 2).state();
    expect(state.discrepancies).toEqual([
      lifecycle('accepted', 'declined', T0 + 2 * HOUR),
      lifecycle('superseded', 'declined', T0 + DAY + 2),
      { ...lifecycle('failed', 'accepted', T0 + 2 * DAY + 2), field: 'request.wamid.C.lifecycle' },
    ]);
  });

  it('normal no-ops are not: a second delivery or read status, the same answer twice, time passing an ended request', () => {
    const g = given([
      sentA,
      deliveredA,
      facts.requestDelivered({ at: T0 + 20, requestId: A, key: 'delivered again' }),
      facts.requestRead({ at: T0 + 30, requestId: A }),
      facts.permissionDeclined({ at: T0 + HOUR, requestId: A }),
      facts.permissionDeclined({ at: T0 + HOUR + 1, requestId: A }),
      facts.permissionGranted({ at: T0 + 2 * HOUR, requestId: A }),
      facts.permissionGranted({ at: T0 + 2 * HOUR + 1, requestId: A }),
      facts.requestRead({ at: T0 + 3 * HOUR, requestId: A, key: 'read after the answer' }),
      facts.requestSent({ at: T0 + 4 * HOUR - 10, requestId: B }),
      facts.requestFailed({ at: T0 + 4 * HOUR, requestId: B }),
      facts.requestFailed({ at: T0 + 4 * HOUR + 1, requestId: B, key: 'failed again' }),
      facts.userMessaged({ at: T0 + 5 * WEEK }),
    ]);
    expect(g.at(T0 + 5 * WEEK).request(A)?.state).toBe('expired');
    expect(g.at(T0 + 5 * WEEK).state().discrepancies).toEqual([]);
  });
});

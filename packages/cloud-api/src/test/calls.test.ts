import { describe, expect, it } from 'vitest';
import { Translator } from '../index.js';
import { CALL_ID, callsWebhook, pair, T, USER } from './meta.js';

const source = { kind: 'webhook', ref: 'c' } as const;
const BIZ_NUMBER = '15550001111';

function calls(
  items: { calls?: Record<string, unknown>[]; statuses?: Record<string, unknown>[] },
  receivedAt?: number,
) {
  return new Translator().webhook(callsWebhook(items), receivedAt, 'c');
}

const userCall = { id: CALL_ID, from: USER, to: BIZ_NUMBER, direction: 'USER_INITIATED' };
const businessCall = { id: CALL_ID, from: BIZ_NUMBER, to: USER, direction: 'BUSINESS_INITIATED' };
const connectedTimes = { start_time: String(T + 10), end_time: String(T + 190), duration: 180 };

describe('calls webhooks: connected vs unanswered vs rejected (reference §5)', () => {
  it('a user-initiated connect is the user calling (at its timestamp)', () => {
    expect(calls({ calls: [{ ...userCall, event: 'connect', timestamp: String(T) }] })).toEqual({
      kind: 'facts',
      ignored: 0,
      facts: [
        { type: 'UserCalled', pair, at: T, key: `call:${CALL_ID}:user-called`, source, callId: CALL_ID },
      ],
    });
  });

  it('a business-initiated connect says nothing yet (ignored)', () => {
    expect(calls({ calls: [{ ...businessCall, event: 'connect', timestamp: String(T) }] })).toEqual({
      kind: 'facts',
      ignored: 1,
      facts: [],
    });
  });

  it.each([
    ['COMPLETED', 'business_initiated', businessCall],
    ['FAILED', 'business_initiated', businessCall],
    ['COMPLETED', 'user_initiated', userCall],
    ['FAILED', 'user_initiated', userCall],
  ] as const)('a %s %s terminate with start_time connected at start_time', (status, direction, call) => {
    const terminate = { ...call, event: 'terminate', timestamp: String(T + 200), status, ...connectedTimes };
    expect(calls({ calls: [terminate] })).toEqual({
      kind: 'facts',
      ignored: 0,
      facts: [
        {
          type: 'CallConnected',
          pair,
          at: T + 10,
          key: `call:${CALL_ID}:connected-start`,
          source,
          callId: CALL_ID,
          direction,
          evidence: 'start_time',
        },
      ],
    });
  });

  it('without start_time the connection instant is end_time − duration, else timestamp − duration', () => {
    const noStart = {
      ...businessCall,
      event: 'terminate',
      timestamp: String(T + 200),
      end_time: String(T + 190),
      duration: 180,
    };
    expect(calls({ calls: [noStart] })).toMatchObject({ facts: [{ type: 'CallConnected', at: T + 10 }] });
    const onlyDuration = { ...businessCall, event: 'terminate', timestamp: String(T + 200), duration: '180' };
    expect(calls({ calls: [onlyDuration] })).toMatchObject({
      facts: [{ type: 'CallConnected', at: T + 20 }],
    });
  });

  it('a business-initiated terminate without start_time is an unanswered call (at its timestamp)', () => {
    const terminate = { ...businessCall, event: 'terminate', timestamp: String(T + 40), status: 'FAILED' };
    expect(calls({ calls: [terminate] })).toEqual({
      kind: 'facts',
      ignored: 0,
      facts: [
        {
          type: 'CallUnanswered',
          pair,
          at: T + 40,
          key: `call:${CALL_ID}:terminate`,
          source,
          callId: CALL_ID,
        },
      ],
    });
  });

  it('a missed user-initiated call adds nothing to its connect (ignored)', () => {
    const terminate = { ...userCall, event: 'terminate', timestamp: String(T + 40), status: 'COMPLETED' };
    expect(calls({ calls: [terminate] })).toEqual({ kind: 'facts', ignored: 1, facts: [] });
  });

  it('call statuses: ACCEPTED connects, REJECTED rejects, RINGING is ignored', () => {
    const s = (value: string, at: number) => ({
      id: CALL_ID,
      timestamp: String(at),
      type: 'call',
      status: value,
      recipient_id: USER,
    });
    expect(calls({ statuses: [s('RINGING', T + 1), s('ACCEPTED', T + 5), s('REJECTED', T + 6)] })).toEqual({
      kind: 'facts',
      ignored: 1,
      facts: [
        {
          type: 'CallConnected',
          pair,
          at: T + 5,
          key: `call:${CALL_ID}:accepted`,
          source,
          callId: CALL_ID,
          direction: 'business_initiated',
          evidence: 'accepted',
        },
        { type: 'CallRejected', pair, at: T + 6, key: `call:${CALL_ID}:rejected`, source, callId: CALL_ID },
      ],
    });
  });

  it('translates every call of a batch, and keys BSUID-only users by to_user_id / from_user_id', () => {
    const bsuidCallee = {
      id: 'wacid.B',
      from: BIZ_NUMBER,
      to_user_id: 'US.77',
      direction: 'BUSINESS_INITIATED',
      event: 'terminate',
      timestamp: String(T),
    };
    const bsuidCaller = {
      id: 'wacid.U',
      from_user_id: 'US.88',
      to: BIZ_NUMBER,
      direction: 'USER_INITIATED',
      event: 'connect',
      timestamp: String(T),
    };
    expect(calls({ calls: [bsuidCallee, bsuidCaller] })).toMatchObject({
      facts: [
        { type: 'CallUnanswered', pair: { user: 'US.77' }, callId: 'wacid.B' },
        { type: 'UserCalled', pair: { user: 'US.88' }, callId: 'wacid.U' },
      ],
    });
  });

  it('a call item without timestamp falls back to the received instant, and is refused without one', () => {
    const connect = { ...userCall, event: 'connect' };
    expect(calls({ calls: [connect] }, T + 3)).toMatchObject({ facts: [{ type: 'UserCalled', at: T + 3 }] });
    expect(calls({ calls: [connect] })).toEqual({
      kind: 'rejected',
      path: 'entry[0].changes[0].value.calls[0].timestamp',
      reason: 'missing, and no received_at to fall back on',
    });
  });

  it('a connect or terminate without direction is refused at that path', () => {
    const { direction: _, ...noDirection } = { ...userCall, event: 'terminate', timestamp: String(T) };
    expect(calls({ calls: [noDirection] })).toEqual({
      kind: 'rejected',
      path: 'entry[0].changes[0].value.calls[0].direction',
      reason: 'required on connect and terminate events',
    });
  });

  it('other call events are counted as ignored', () => {
    expect(calls({ calls: [{ id: CALL_ID, event: 'call_created', timestamp: String(T) }] })).toEqual({
      kind: 'facts',
      ignored: 1,
      facts: [],
    });
  });
});

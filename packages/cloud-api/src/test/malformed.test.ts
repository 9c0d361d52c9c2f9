import { describe, expect, it } from 'vitest';
import { Translator } from '../index.js';
import {
  apiCall,
  BUSINESS,
  freeFormRequest,
  messagesWebhook,
  REQUEST_ID,
  status,
  T,
  USER,
  webhook,
} from './meta.js';

function twoChanges(second: Record<string, unknown>) {
  const first = messagesWebhook({ statuses: [status(REQUEST_ID, 'sent', T)] }) as {
    entry: [{ changes: Record<string, unknown>[] }];
  };
  first.entry[0].changes.push({ field: 'messages', value: second });
  return first;
}

const metadata = { phone_number_id: BUSINESS };

describe('malformed input is refused with the JSON path and the reason', () => {
  it('names the exact item inside a batch, and refuses the whole body (no half-applied batch)', () => {
    const body = twoChanges({
      metadata,
      statuses: [{ id: 'wamid.B', status: 'delivered', timestamp: 'yesterday', recipient_id: USER }],
    });
    expect(new Translator().webhook(body, undefined, 'w')).toEqual({
      kind: 'rejected',
      path: 'entry[0].changes[1].value.statuses[0].timestamp',
      reason: 'expected Unix seconds: digits only',
    });
  });

  it.each([
    [
      'a millisecond timestamp',
      { timestamp: '1767168000000' },
      'statuses[0].timestamp',
      '1767168000000 looks like milliseconds (Date.now()?): give Unix seconds (Math.floor(ms / 1000)) or a Date',
    ],
    [
      'a millisecond number',
      { timestamp: 1767168000000 },
      'statuses[0].timestamp',
      '1767168000000 looks like milliseconds (Date.now()?): give Unix seconds (Math.floor(ms / 1000)) or a Date',
    ],
    [
      'a fractional number',
      { timestamp: 1767168000.5 },
      'statuses[0].timestamp',
      '1767168000.5 is not a whole number of seconds: round it down (Math.floor) or give a Date',
    ],
    [
      'a timestamp of 1970',
      { timestamp: '12345' },
      'statuses[0].timestamp',
      '12345 is before 2000-01-01T00:00:00Z: not a plausible instant in Unix seconds',
    ],
    [
      'a boolean timestamp',
      { timestamp: true },
      'statuses[0].timestamp',
      'expected Unix seconds (a string of digits or a number)',
    ],
    [
      'no recipient',
      { recipient_id: undefined },
      'statuses[0].recipient_id',
      'needs recipient_id or recipient_user_id',
    ],
    ['an empty id', { id: '' }, 'statuses[0].id', 'empty'],
    [
      'a recipient written as a phone number',
      { recipient_id: '+44 7700 900123' },
      'statuses[0].recipient_id',
      'the text "+44 7700 900123" is a phone number as people write it: a wa_id is digits only (no +, spaces or punctuation)',
    ],
  ])('a status with %s', (_, patch, path, reason) => {
    const item = { ...status(REQUEST_ID, 'sent', T), ...patch };
    expect(new Translator().webhook(messagesWebhook({ statuses: [item] }), undefined, 'w')).toEqual({
      kind: 'rejected',
      path: `entry[0].changes[0].value.${path}`,
      reason,
    });
  });

  it('a missing timestamp with no received instant to fall back on', () => {
    const { timestamp: _, ...item } = status(REQUEST_ID, 'sent', T);
    expect(new Translator().webhook(messagesWebhook({ statuses: [item] }), undefined, 'w')).toEqual({
      kind: 'rejected',
      path: 'entry[0].changes[0].value.statuses[0].timestamp',
      reason: 'missing, and no received_at to fall back on',
    });
    expect(new Translator().webhook(messagesWebhook({ statuses: [item] }), T + 1, 'w')).toMatchObject({
      facts: [{ at: T + 1 }],
    });
  });

  it('envelope errors: wrong object, missing entry, missing metadata', () => {
    const translate = (body: unknown) => new Translator().webhook(body, T, 'w');
    expect(translate({ object: 'page', entry: [] })).toMatchObject({ kind: 'rejected', path: 'object' });
    expect(translate({ object: 'whatsapp_business_account' })).toEqual({
      kind: 'rejected',
      path: 'entry',
      reason: 'missing (expected array)',
    });
    expect(translate(webhook('messages', { statuses: [] }))).toEqual({
      kind: 'rejected',
      path: 'entry[0].changes[0].value.metadata',
      reason: 'missing (expected object)',
    });
    expect(translate('hello')).toMatchObject({ kind: 'rejected', path: '' });
  });

  it('capture lines: invalid JSON, unknown kind, missing payload, bad received_at', () => {
    const t = new Translator();
    expect(t.line('{"kind":"webhook",', 'f:1')).toMatchObject({ kind: 'rejected', path: '' });
    expect(t.line('{"kind":"webhook",', 'f:1')).toMatchObject({
      reason: expect.stringMatching(/^invalid JSON: /),
    });
    expect(t.line('[1,2]', 'f:2')).toMatchObject({ kind: 'rejected', path: '' });
    expect(t.line('{"kind":"sms"}', 'f:3')).toMatchObject({ kind: 'rejected', path: 'kind' });
    expect(t.line('{"hello":1}', 'f:4')).toEqual({
      kind: 'rejected',
      path: 'kind',
      reason: "missing: a capture line has kind 'webhook' or 'api_call', or is a webhook body (with object)",
    });
    expect(t.line('{"kind":"webhook","received_at":"2026-01-01T00:00:00Z"}', 'f:5')).toEqual({
      kind: 'rejected',
      path: 'payload',
      reason: 'missing (the webhook body)',
    });
    expect(t.line('{"kind":"webhook","received_at":"2026-01-01 10:00","payload":{}}', 'f:6')).toEqual({
      kind: 'rejected',
      path: 'received_at',
      reason: '"2026-01-01 10:00" has no offset: add Z or ±hh:mm (a local time is ambiguous)',
    });
  });

  it('paths inside a wrapped webhook line start at payload', () => {
    const body = messagesWebhook({ statuses: [{ ...status(REQUEST_ID, 'sent', T), status: 7 }] });
    const line = JSON.stringify({ kind: 'webhook', received_at: '2026-01-01T00:00:00Z', payload: body });
    expect(new Translator().line(line, 'f:1')).toMatchObject({
      kind: 'rejected',
      path: 'payload.entry[0].changes[0].value.statuses[0].status',
    });
  });

  it('API calls: bad at, missing response id, send without recipient', () => {
    const t = new Translator();
    expect(
      t.apiCall(apiCall('POST', `/${BUSINESS}/messages`, freeFormRequest, 200, {}, 'soon'), 'a'),
    ).toEqual({
      kind: 'rejected',
      path: 'at',
      reason: '"soon" is neither ISO-8601 nor Unix seconds',
    });
    expect(
      t.apiCall(apiCall('POST', `/${BUSINESS}/messages`, freeFormRequest, 200, { messages: [] }), 'a'),
    ).toEqual({
      kind: 'rejected',
      path: 'response.body.messages',
      reason: 'needs the sent message id (messages[0].id)',
    });
    const { to: _, ...anonymous } = freeFormRequest;
    expect(
      t.apiCall(
        apiCall('POST', `/${BUSINESS}/messages`, anonymous, 200, { messages: [{ id: 'wamid.Z' }] }),
        'a',
      ),
    ).toEqual({
      kind: 'rejected',
      path: 'request.body.to',
      reason: 'needs to (a phone number) or recipient (a BSUID)',
    });
    expect(t.apiCall({ at: T, request: { method: 'POST' }, response: { status: 200 } }, 'a')).toEqual({
      kind: 'rejected',
      path: 'request.path',
      reason: 'missing (expected string)',
    });
  });
});

import { describe, expect, it } from 'vitest';
import { Translator } from '../index.js';
import { CALL_ID, messagesWebhook, pair, REPLY_ID, REQUEST_ID, replyMessage, T } from './meta.js';

const source = { kind: 'webhook', ref: 'r:1' } as const;
const base = { pair, at: T, key: `reply:${REPLY_ID}`, source };
const EXPIRY = T + 604800;

function translate(reply: Record<string, unknown>, context: string | undefined) {
  return new Translator().webhook(
    messagesWebhook({ messages: [replyMessage(reply, context)] }),
    undefined,
    'r:1',
  );
}

describe('call permission replies: the six scenarios of the reference (§4)', () => {
  it('1: a temporary accept from a request message is a grant via that request, until expiration_timestamp', () => {
    const reply = {
      response: 'accept',
      is_permanent: false,
      expiration_timestamp: String(EXPIRY),
      response_source: 'user_action',
    };
    expect(translate(reply, REQUEST_ID)).toEqual({
      kind: 'facts',
      ignored: 0,
      facts: [
        {
          type: 'PermissionGranted',
          ...base,
          permanent: false,
          expiresAt: EXPIRY,
          via: 'request',
          requestId: REQUEST_ID,
        },
      ],
    });
  });

  it('2: a permanent accept from a request message is a permanent grant via that request', () => {
    const reply = { response: 'accept', is_permanent: true, response_source: 'user_action' };
    expect(translate(reply, REQUEST_ID)).toEqual({
      kind: 'facts',
      ignored: 0,
      facts: [{ type: 'PermissionGranted', ...base, permanent: true, via: 'request', requestId: REQUEST_ID }],
    });
  });

  it('3: a permanent accept without context comes from the business profile', () => {
    const reply = { response: 'accept', is_permanent: true, response_source: 'user_action' };
    expect(translate(reply, undefined)).toEqual({
      kind: 'facts',
      ignored: 0,
      facts: [{ type: 'PermissionGranted', ...base, permanent: true, via: 'profile' }],
    });
  });

  it('4: a reject of a request message declines that request', () => {
    const reply = { response: 'reject', response_source: 'user_action' };
    expect(translate(reply, REQUEST_ID)).toEqual({
      kind: 'facts',
      ignored: 0,
      facts: [{ type: 'PermissionDeclined', ...base, requestId: REQUEST_ID }],
    });
  });

  it('5: an automatic accept naming a call is a temporary callback grant tied to that call', () => {
    const reply = {
      response: 'accept',
      is_permanent: false,
      expiration_timestamp: String(EXPIRY),
      response_source: 'automatic',
    };
    expect(translate(reply, CALL_ID)).toEqual({
      kind: 'facts',
      ignored: 0,
      facts: [
        {
          type: 'PermissionGranted',
          ...base,
          permanent: false,
          expiresAt: EXPIRY,
          via: 'callback',
          callId: CALL_ID,
        },
      ],
    });
  });

  it('6: an automatic reject without context is the automatic revocation after unanswered calls', () => {
    expect(translate({ response: 'reject', response_source: 'automatic' }, undefined)).toEqual({
      kind: 'facts',
      ignored: 0,
      facts: [{ type: 'PermissionRevoked', ...base, by: 'automatic' }],
    });
  });
});

describe('call permission replies: variants seen in the field', () => {
  it('reads expiration_timestamp as a JSON number and as a string alike', () => {
    const asNumber = translate(
      { response: 'accept', expiration_timestamp: EXPIRY, response_source: 'user_action' },
      REQUEST_ID,
    );
    const asString = translate(
      { response: 'accept', expiration_timestamp: `${EXPIRY}`, response_source: 'user_action' },
      REQUEST_ID,
    );
    expect(asNumber).toEqual(asString);
    expect(asNumber).toMatchObject({ facts: [{ expiresAt: EXPIRY, permanent: false }] });
  });

  it('a reply without response_source is a user action (a temporary grant from the request)', () => {
    expect(
      translate({ response: 'accept', is_permanent: false, expiration_timestamp: EXPIRY }, REQUEST_ID),
    ).toMatchObject({
      facts: [{ type: 'PermissionGranted', via: 'request', requestId: REQUEST_ID }],
    });
    expect(translate({ response: 'reject' }, undefined)).toMatchObject({
      facts: [{ type: 'PermissionRevoked', by: 'user' }],
    });
  });

  it('an automatic accept without context is still a callback grant', () => {
    expect(
      translate(
        {
          response: 'accept',
          is_permanent: false,
          expiration_timestamp: EXPIRY,
          response_source: 'automatic',
        },
        undefined,
      ),
    ).toMatchObject({
      facts: [{ type: 'PermissionGranted', via: 'callback' }],
    });
  });

  it('a user reject without context is taken as a revoke from the business profile', () => {
    expect(translate({ response: 'reject', response_source: 'user_action' }, undefined)).toEqual({
      kind: 'facts',
      ignored: 0,
      facts: [{ type: 'PermissionRevoked', ...base, by: 'user' }],
    });
  });

  it('dispatches on interactive.type: a reply without a top-level type is still a reply', () => {
    const message = replyMessage({ response: 'reject', response_source: 'automatic' }, undefined);
    delete message.type;
    const outcome = new Translator().webhook(messagesWebhook({ messages: [message] }), undefined, 'r:1');
    expect(outcome).toMatchObject({ facts: [{ type: 'PermissionRevoked', by: 'automatic' }] });
  });

  it('a username user (BSUID, no phone number) is keyed by from_user_id', () => {
    const message = replyMessage(
      { response: 'accept', is_permanent: true, response_source: 'user_action' },
      undefined,
    );
    delete message.from;
    message.from_user_id = 'US.13491208655302741918';
    const outcome = new Translator().webhook(messagesWebhook({ messages: [message] }), undefined, 'r:1');
    expect(outcome).toMatchObject({
      facts: [{ pair: { business: pair.business, user: 'US.13491208655302741918' } }],
    });
  });

  it('a call_permission_reply without its reply object is refused at that path', () => {
    const message = replyMessage({}, REQUEST_ID);
    message.interactive = { type: 'call_permission_reply' };
    expect(new Translator().webhook(messagesWebhook({ messages: [message] }), undefined, 'r:1')).toEqual({
      kind: 'rejected',
      path: 'entry[0].changes[0].value.messages[0].interactive.call_permission_reply',
      reason: 'missing (a call_permission_reply message carries it)',
    });
  });

  it('an unknown response is refused naming the field', () => {
    expect(translate({ response: 'maybe' }, REQUEST_ID)).toMatchObject({
      kind: 'rejected',
      path: 'entry[0].changes[0].value.messages[0].interactive.call_permission_reply.response',
    });
  });

  it('every other inbound message is a user message (it opens the customer service window)', () => {
    const text = {
      from: pair.user,
      id: 'wamid.TEXT',
      timestamp: String(T),
      type: 'text',
      text: { body: 'hi' },
    };
    const button = {
      ...text,
      id: 'wamid.BTN',
      type: 'interactive',
      interactive: { type: 'button_reply', button_reply: { id: 'b' } },
    };
    expect(new Translator().webhook(messagesWebhook({ messages: [text, button] }), undefined, 'r:1')).toEqual(
      {
        kind: 'facts',
        ignored: 0,
        facts: [
          {
            type: 'UserMessaged',
            pair,
            at: T,
            key: 'user-message:wamid.TEXT',
            source,
            messageId: 'wamid.TEXT',
          },
          {
            type: 'UserMessaged',
            pair,
            at: T,
            key: 'user-message:wamid.BTN',
            source,
            messageId: 'wamid.BTN',
          },
        ],
      },
    );
  });
});

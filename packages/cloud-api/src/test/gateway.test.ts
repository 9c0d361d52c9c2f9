// What the HTTP guard needs from Meta's wire: which Graph requests are attempts, Meta's error object for a
// refusal, and the webhook signature.
import { createHmac } from 'node:crypto';
import { ErrorCode } from '@callpermit/core';
import { describe, expect, it } from 'vitest';
import {
  graphAttempt,
  refusalError,
  Translator,
  verifyWebhookSignature,
  webhookSignature,
} from '../index.js';
import { BUSINESS, freeFormRequest, pair, T, templateSend, USER } from './meta.js';

const connect = { messaging_product: 'whatsapp', to: `+${USER}`, action: 'connect', session: {} };

describe('graphAttempt: the Graph requests the guard decides', () => {
  it('a free-form permission request, with or without version or host, is a free-form SendPermissionRequest', () => {
    for (const path of [
      `/v23.0/${BUSINESS}/messages`,
      `/${BUSINESS}/messages`,
      `https://x.test/v1/${BUSINESS}/messages`,
    ]) {
      expect(graphAttempt({ method: 'POST', path, body: freeFormRequest }, new Set())).toEqual({
        type: 'SendPermissionRequest',
        pair,
        channel: 'free_form',
      });
    }
  });

  it('a template send is a request only when the template is known to carry the permission component', () => {
    const send = { method: 'POST', path: `/${BUSINESS}/messages`, body: templateSend('callback_request') };
    expect(graphAttempt(send, new Set())).toBeUndefined();
    expect(graphAttempt(send, new Set(['callback_request']))).toEqual({
      type: 'SendPermissionRequest',
      pair,
      channel: 'template',
    });
    const translator = new Translator();
    expect(translator.attempt(send)).toBeUndefined();
    translator.knowTemplates(['callback_request']);
    expect(translator.attempt(send)).toMatchObject({ channel: 'template' });
  });

  it('a connect call is a StartCall for the normalised number; other actions, messages and methods are not attempts', () => {
    expect(
      graphAttempt({ method: 'post', path: `/v23.0/${BUSINESS}/calls`, body: connect }, new Set()),
    ).toEqual({
      type: 'StartCall',
      pair,
    });
    const none = [
      { method: 'POST', path: `/${BUSINESS}/calls`, body: { call_id: 'wacid.X', action: 'terminate' } },
      {
        method: 'POST',
        path: `/${BUSINESS}/messages`,
        body: { to: USER, type: 'text', text: { body: 'hi' } },
      },
      { method: 'GET', path: `/${BUSINESS}/messages`, body: freeFormRequest },
      { method: 'POST', path: `/${BUSINESS}/settings`, body: { calling: { status: 'ENABLED' } } },
    ];
    for (const request of none) expect(graphAttempt(request, new Set())).toBeUndefined();
  });

  it('a connect whose body cannot be read (no recipient) is unreadable, never forwarded undecided', () => {
    expect(
      graphAttempt({ method: 'POST', path: `/${BUSINESS}/calls`, body: { action: 'connect' } }, new Set()),
    ).toEqual({
      unreadable: { path: 'body.to', reason: 'needs to (a phone number) or recipient (a BSUID)' },
    });
  });
});

describe('refusalError: Meta’s status and error object for a refusal', () => {
  it('138006 and 138000 are 401; the limits, 138017 and 131047 are 400', () => {
    const status = (code: (typeof ErrorCode)[keyof typeof ErrorCode]) =>
      refusalError({ code, title: 't' }, 'trace').status;
    expect(status(ErrorCode.noPermission)).toBe(401);
    expect(status(ErrorCode.callingDisabled)).toBe(401);
    for (const code of [
      ErrorCode.requestLimit,
      ErrorCode.connectedCallLimit,
      ErrorCode.permanentPermissionExists,
      ErrorCode.outsideCustomerServiceWindow,
    ])
      expect(status(code)).toBe(400);
  });

  it('138012 says in error_data when the next call is allowed', () => {
    const answer = refusalError(
      {
        code: ErrorCode.connectedCallLimit,
        title: 'Business-initiated connected calls limit reached',
        retryAt: T,
      },
      'AbC123',
    );
    expect(answer).toEqual({
      status: 400,
      body: {
        error: {
          message: '(#138012) Business-initiated connected calls limit reached',
          type: 'OAuthException',
          code: 138012,
          error_data: {
            messaging_product: 'whatsapp',
            details: `Business-initiated connected calls limit reached; the next one is allowed at 2025-12-31T08:00:00Z (${T})`,
          },
          fbtrace_id: 'AbC123',
        },
      },
    });
  });
});

describe('webhook signatures', () => {
  const body = Buffer.from(
    '{"object":"whatsapp_business_account","entry":[{"changes":[{"value":"\\u00e9"}]}]}',
  );

  it('the HMAC-SHA256 of the raw bytes under any configured secret is accepted, in lower- or upper-case hex', () => {
    const header = webhookSignature(body, 'new-secret');
    expect(header).toBe(`sha256=${createHmac('sha256', 'new-secret').update(body).digest('hex')}`);
    expect(verifyWebhookSignature(body, header, ['new-secret'])).toBe(true);
    expect(verifyWebhookSignature(body, header, ['old-secret', 'new-secret'])).toBe(true);
    expect(
      verifyWebhookSignature(body, header.toUpperCase().replace('SHA256=', 'sha256='), ['new-secret']),
    ).toBe(true);
  });

  it('a missing, malformed or wrong signature, or one over other bytes, is refused', () => {
    const good = webhookSignature(body, 's');
    const reencoded = Buffer.from(JSON.stringify(JSON.parse(body.toString())));
    for (const header of [
      undefined,
      null,
      '',
      'sha1=abc',
      good.slice(0, -2),
      `${good}00`,
      webhookSignature(body, 't'),
    ])
      expect(verifyWebhookSignature(body, header, ['s'])).toBe(false);
    // Meta signs the bytes it sent (\u-escaped); the same JSON re-serialised is other bytes.
    expect(verifyWebhookSignature(reencoded, good, ['s'])).toBe(false);
    expect(verifyWebhookSignature(body, good, [])).toBe(false);
  });
});

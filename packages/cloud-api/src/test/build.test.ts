import { describe, expect, it } from 'vitest';
import {
  callbackSettingWebhook,
  callConnectWebhook,
  callPermissionsCall,
  callStatusWebhook,
  callTerminateWebhook,
  createTemplateCall,
  messageStatusWebhook,
  permissionReplyWebhook,
  permissionRequestCall,
  refusedCall,
  startCallCall,
  Translator,
  userMessageWebhook,
  webhookLine,
} from '../index.js';

// Built bodies go through the Translator exactly as Meta's would: each must become the fact the
// wire mapping (docs/wire-mapping.md) says, with nothing ignored.
const business = { phoneNumberId: '109876543210987' };
const user = '447700900123';
const pair = { business: business.phoneNumberId, user };
const T = 1_767_168_000;

function webhookFacts(body: object, translator = new Translator()) {
  const outcome = translator.webhook(body, undefined, 'built');
  expect(outcome).toMatchObject({ kind: 'facts', ignored: 0 });
  return outcome.kind === 'facts' ? outcome.facts : [];
}

function lineFacts(line: object, translator = new Translator()) {
  const outcome = translator.line(JSON.stringify(line), 'built');
  expect(outcome).toMatchObject({ kind: 'facts', ignored: 0 });
  return outcome.kind === 'facts' ? outcome.facts : [];
}

describe('built webhook bodies translate to the facts the wire mapping names', () => {
  it('message statuses: sent (tentative), delivered, read, failed with its code', () => {
    const status = (s: 'sent' | 'delivered' | 'read' | 'failed') =>
      webhookFacts(messageStatusWebhook(business, { messageId: 'wamid.A', user, status: s, at: T }))[0];
    expect(status('sent')).toMatchObject({ type: 'RequestSent', pair, at: T, tentative: true });
    expect(status('delivered')).toMatchObject({ type: 'RequestDelivered', pair, requestId: 'wamid.A' });
    expect(status('read')).toMatchObject({ type: 'RequestRead', pair, requestId: 'wamid.A' });
    expect(status('failed')).toMatchObject({ type: 'RequestFailed', errorCode: 131026 });
  });

  it('a user message opens the window', () => {
    expect(webhookFacts(userMessageWebhook(business, { messageId: 'wamid.IN', user, at: T }))).toEqual([
      expect.objectContaining({ type: 'UserMessaged', pair, at: T, messageId: 'wamid.IN' }),
    ]);
  });

  it('the permission replies: temporary and permanent accepts, profile grant, decline, revokes', () => {
    const reply = (item: Partial<Parameters<typeof permissionReplyWebhook>[1]>) =>
      webhookFacts(
        permissionReplyWebhook(business, {
          replyId: 'wamid.R',
          user,
          at: T,
          response: 'accept',
          source: 'user_action',
          ...item,
        }),
      )[0];
    expect(reply({ context: 'wamid.A', expiresAt: T + 604800 })).toMatchObject({
      type: 'PermissionGranted',
      via: 'request',
      requestId: 'wamid.A',
      permanent: false,
      expiresAt: T + 604800,
    });
    expect(reply({ context: 'wamid.A', permanent: true })).toMatchObject({
      type: 'PermissionGranted',
      permanent: true,
    });
    expect(reply({ permanent: true })).toMatchObject({ type: 'PermissionGranted', via: 'profile' });
    expect(reply({ context: 'wacid.C', source: 'automatic' })).toMatchObject({
      type: 'PermissionGranted',
      via: 'callback',
      callId: 'wacid.C',
    });
    expect(reply({ response: 'reject', context: 'wamid.A' })).toMatchObject({
      type: 'PermissionDeclined',
      requestId: 'wamid.A',
    });
    expect(reply({ response: 'reject' })).toMatchObject({ type: 'PermissionRevoked', by: 'user' });
    expect(reply({ response: 'reject', source: 'automatic' })).toMatchObject({
      type: 'PermissionRevoked',
      by: 'automatic',
    });
  });

  it('calls: a user call, a connected business call, an unanswered one, a rejected one', () => {
    const ids = { callId: 'wacid.C', user };
    expect(
      webhookFacts(callConnectWebhook(business, { ...ids, at: T, direction: 'USER_INITIATED' })),
    ).toEqual([expect.objectContaining({ type: 'UserCalled', pair, at: T, callId: 'wacid.C' })]);
    expect(
      webhookFacts(
        callTerminateWebhook(business, {
          ...ids,
          at: T + 120,
          startedAt: T + 5,
          direction: 'BUSINESS_INITIATED',
        }),
      ),
    ).toEqual([
      expect.objectContaining({
        type: 'CallConnected',
        at: T + 5,
        direction: 'business_initiated',
        evidence: 'start_time',
      }),
    ]);
    expect(
      webhookFacts(callTerminateWebhook(business, { ...ids, at: T + 30, direction: 'BUSINESS_INITIATED' })),
    ).toEqual([expect.objectContaining({ type: 'CallUnanswered', at: T + 30 })]);
    expect(webhookFacts(callStatusWebhook(business, { ...ids, at: T, status: 'ACCEPTED' }))).toEqual([
      expect.objectContaining({ type: 'CallConnected', evidence: 'accepted' }),
    ]);
    expect(webhookFacts(callStatusWebhook(business, { ...ids, at: T, status: 'REJECTED' }))).toEqual([
      expect.objectContaining({ type: 'CallRejected', callId: 'wacid.C' }),
    ]);
  });

  it('the callback setting, also as a capture line', () => {
    const body = callbackSettingWebhook(business, { at: T, enabled: true });
    const expected = {
      type: 'CallbackSettingChanged',
      business: business.phoneNumberId,
      enabled: true,
      at: T,
    };
    expect(webhookFacts(body)).toEqual([expect.objectContaining(expected)]);
    expect(lineFacts(webhookLine(body, T + 2))).toEqual([expect.objectContaining(expected)]);
  });
});

describe('built Graph API exchanges translate as logged calls', () => {
  it('a free-form request, a template request (its template created first), a call start', () => {
    expect(
      lineFacts(
        permissionRequestCall(business, { at: T, user, via: 'free_form', outcome: { messageId: 'wamid.F' } }),
      ),
    ).toEqual([expect.objectContaining({ type: 'RequestSent', pair, channel: 'free_form', at: T })]);
    const translator = new Translator();
    expect(lineFacts(createTemplateCall(business, { at: T, name: 'call_us' }), translator)).toEqual([
      expect.objectContaining({ type: 'TemplateKnown', name: 'call_us' }),
    ]);
    expect(
      lineFacts(
        permissionRequestCall(business, {
          at: T,
          user,
          via: { template: 'call_us' },
          outcome: { messageId: 'wamid.T' },
        }),
        translator,
      ),
    ).toEqual([expect.objectContaining({ type: 'RequestSent', channel: 'template', requestId: 'wamid.T' })]);
    expect(lineFacts(startCallCall(business, { at: T, user, outcome: { callId: 'wacid.X' } }))).toEqual([
      expect.objectContaining({ type: 'CallAttempted', pair, callId: 'wacid.X' }),
    ]);
  });

  it("Meta's GET answer is an observation", () => {
    const body = {
      messaging_product: 'whatsapp',
      permission: { status: 'temporary', expiration_time: T + 100 },
      actions: [
        {
          action_name: 'start_call',
          can_perform_action: true,
          limits: [{ time_period: 'PT24H', max_allowed: 100, current_usage: 3 }],
        },
      ],
    };
    expect(lineFacts(callPermissionsCall(business, { at: T, user, body }))).toEqual([
      expect.objectContaining({
        type: 'PermissionObserved',
        pair,
        status: 'temporary',
        expiresAt: T + 100,
        usage: [{ action: 'start_call', periodSeconds: 86400, maxAllowed: 100, currentUsage: 3 }],
      }),
    ]);
  });

  it('a refused exchange makes no fact, and refusedCall reads its code', () => {
    const refused = permissionRequestCall(business, {
      at: T,
      user,
      via: 'free_form',
      outcome: { httpStatus: 400, code: 138009, message: 'Call permission request limit reached' },
    });
    expect(new Translator().line(JSON.stringify(refused), 'r')).toEqual({
      kind: 'facts',
      facts: [],
      ignored: 1,
    });
    expect(refusedCall(refused, new Set())).toEqual({
      at: T,
      pair,
      action: 'send_call_permission_request',
      channel: 'free_form',
      code: 138009,
      message: '(#138009) Call permission request limit reached',
    });
    const call = startCallCall(business, {
      at: T,
      user,
      outcome: { httpStatus: 401, code: 138006, message: 'No approved call permission' },
    });
    expect(refusedCall(call, new Set())).toMatchObject({ action: 'start_call', code: 138006 });
    // An accepted call, another endpoint, or a template not known to carry the request are not refusals.
    expect(
      refusedCall(startCallCall(business, { at: T, user, outcome: { callId: 'wacid.1' } }), new Set()),
    ).toBe(undefined);
    const template = permissionRequestCall(business, {
      at: T,
      user,
      via: { template: 'promo' },
      outcome: { httpStatus: 400, code: 131047, message: 'Re-engagement message' },
    });
    expect(refusedCall(template, new Set())).toBe(undefined);
    expect(refusedCall(template, new Set(['promo']))).toMatchObject({ code: 131047 });
  });
});

// Capture lines in Meta's wire shapes (reference §1–§8) for end-to-end tests of the CLI and the HTTP service:
// one line of text per call, built by cloud-api's production builders (`packages/cloud-api/src/build/`) for
// the pair of Meta's samples. `payloadOf` takes the webhook body out of a webhook line.
import {
  type BusinessNumber,
  callConnectWebhook,
  callPermissionsCall,
  callStatusWebhook,
  callTerminateWebhook,
  createTemplateCall,
  messageStatusWebhook,
  permissionReplyWebhook,
  permissionRequestBody,
  permissionRequestCall,
  settingsCall,
  userMessageWebhook,
  type WebhookBody,
  webhookLine,
} from '@callpermit/cloud-api';
import { testPair } from '@callpermit/core/testing';

export const BUSINESS = testPair.business;
export const WABA = '102938475610293';
export const USER = testPair.user;

const NUMBER: BusinessNumber = { phoneNumberId: BUSINESS, wabaId: WABA };

/** A webhook body as the line of a capture file, received when it happened. */
function received(payload: WebhookBody, at: number): string {
  return JSON.stringify(webhookLine(payload, at));
}

export function status(
  id: string,
  s: 'sent' | 'delivered' | 'read' | 'failed',
  at: number,
  user = USER,
): string {
  return received(messageStatusWebhook(NUMBER, { messageId: id, user, status: s, at }), at);
}

export interface ReplyOptions {
  response: 'accept' | 'reject';
  context?: string;
  permanent?: boolean;
  expiration?: number | string;
  source?: 'user_action' | 'automatic';
}

export function reply(id: string, at: number, o: ReplyOptions, user = USER): string {
  return received(
    permissionReplyWebhook(NUMBER, {
      replyId: id,
      user,
      at,
      response: o.response,
      ...(o.context === undefined ? {} : { context: o.context }),
      ...(o.permanent === undefined ? {} : { permanent: o.permanent }),
      ...(o.expiration === undefined ? {} : { expiresAt: o.expiration }),
      ...(o.source === undefined ? {} : { source: o.source }),
      name: 'Ana',
    }),
    at,
  );
}

export function userText(id: string, at: number, user = USER): string {
  return received(userMessageWebhook(NUMBER, { messageId: id, user, at, text: 'hi' }), at);
}

export function callConnect(
  id: string,
  at: number,
  direction: 'USER_INITIATED' | 'BUSINESS_INITIATED',
  user = USER,
): string {
  return received(callConnectWebhook(NUMBER, { callId: id, user, at, direction }), at);
}

export function callTerminate(
  id: string,
  at: number,
  direction: 'USER_INITIATED' | 'BUSINESS_INITIATED',
  started?: { start: number; duration: number },
  statusText: 'COMPLETED' | 'FAILED' = 'COMPLETED',
  user = USER,
): string {
  const times = started && { startedAt: started.start, endedAt: started.start + started.duration };
  return received(
    callTerminateWebhook(NUMBER, { callId: id, user, at, direction, status: statusText, ...times }),
    at,
  );
}

export function callStatus(
  id: string,
  s: 'RINGING' | 'ACCEPTED' | 'REJECTED',
  at: number,
  user = USER,
): string {
  return received(callStatusWebhook(NUMBER, { callId: id, user, at, status: s }), at);
}

/** The body of a free-form (interactive) call permission request to `user` (reference §1). */
export function freeFormRequestBody(user = USER): Record<string, unknown> {
  return permissionRequestBody(user, 'free_form');
}

/** The body of a template send to `user` (reference §2). */
export function templateSendBody(name: string, user = USER): Record<string, unknown> {
  return permissionRequestBody(user, { template: name });
}

/** A free-form permission request Meta accepted as `wamid`, or refused with 138009 (a status of 300 or more). */
export function sendFreeForm(wamid: string, at: number, httpStatus = 200, user = USER): string {
  const outcome =
    httpStatus < 300
      ? { messageId: wamid }
      : { httpStatus, code: 138009, message: 'Call permission request limit reached' };
  return JSON.stringify(permissionRequestCall(NUMBER, { at, user, via: 'free_form', outcome }));
}

export function createTemplate(name: string, at: number): string {
  return JSON.stringify(createTemplateCall(NUMBER, { at, name }));
}

export function sendTemplate(wamid: string, name: string, at: number, user = USER): string {
  return JSON.stringify(
    permissionRequestCall(NUMBER, { at, user, via: { template: name }, outcome: { messageId: wamid } }),
  );
}

/** The business turns callback permission on or off (calling itself on): `POST …/settings`. */
export function settings(callback: 'ENABLED' | 'DISABLED', at: number): string {
  return JSON.stringify(settingsCall(NUMBER, { at, calling: true, callback: callback === 'ENABLED' }));
}

export function getPermissions(at: number, response: unknown, user = USER): string {
  return JSON.stringify(callPermissionsCall(NUMBER, { at, user, body: response as object }));
}

/** A plausible history for `pairs` users of the business, interleaved in time: for replay and crash tests. */
export function syntheticHistory(pairs: number, start: number): { lines: string[]; users: string[] } {
  const users = Array.from({ length: pairs }, (_, i) => `4477009${String(i).padStart(5, '0')}`);
  const lines: string[] = [];
  for (const [i, user] of users.entries()) {
    const t = start + i * 7;
    const req = `wamid.REQ${i}`;
    lines.push(
      userText(`wamid.IN${i}`, t, user),
      sendFreeForm(req, t + 10, 200, user),
      status(req, 'sent', t + 11, user),
      status(req, i % 5 === 0 ? 'read' : 'delivered', t + 12, user),
      reply(
        `wamid.REP${i}`,
        t + 60,
        i % 3 === 0
          ? { response: 'reject', context: req }
          : { response: 'accept', context: req, permanent: i % 4 === 0, expiration: t + 60 + 604_800 },
        user,
      ),
      callStatus(`wacid.A${i}`, 'ACCEPTED', t + 3600, user),
      callTerminate(`wacid.M${i}`, t + 7200, 'BUSINESS_INITIATED', undefined, 'COMPLETED', user),
    );
  }
  return { lines, users };
}

/** The body Meta would POST, from a webhook capture line built here: the bytes a signed delivery carries. */
export function payloadOf(line: string): string {
  const parsed = JSON.parse(line) as { kind?: string; payload?: unknown };
  if (parsed.kind !== 'webhook') throw new Error('payloadOf: not a webhook line');
  return JSON.stringify(parsed.payload);
}

// Meta wire payloads in tests, with the reference's fake ids: the envelopes and request bodies come from the
// production builders (src/build/); the items are spelled out here, because each test states the parts it is
// about, malformed ones included.
import { type BusinessNumber, numberMetadata, permissionRequestBody, webhookBody } from '../build/index.js';

export const WABA = '102938475610293';
export const BUSINESS = '109876543210987';
export const USER = '447700900123';
export const REQUEST_ID = 'wamid.HBgMNDQ3NzAwOTAwMTIzFQIAERgSQ1BSMDAwMDAwMDAwMDAwMQA=';
export const REPLY_ID = 'wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhgUUkVQTFkwMDAwMDAwMDAwMDAA';
export const CALL_ID = 'wacid.HBgMNDQ3NzAwOTAwMTIzFQIAEhggQ0FMTDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAA';
export const T = 1_767_168_000;

export const pair = { business: BUSINESS, user: USER };

const NUMBER: BusinessNumber = { phoneNumberId: BUSINESS, wabaId: WABA };

type Json = Record<string, unknown>;

export function webhook(field: string, value: Json): Json {
  return webhookBody(NUMBER, field, value) as unknown as Json;
}

export function messagesWebhook(items: { statuses?: Json[]; messages?: Json[] }): Json {
  return webhook('messages', { messaging_product: 'whatsapp', metadata: numberMetadata(NUMBER), ...items });
}

export function callsWebhook(items: { calls?: Json[]; statuses?: Json[] }): Json {
  return webhook('calls', {
    messaging_product: 'whatsapp',
    metadata: numberMetadata(NUMBER),
    contacts: [{ profile: { name: 'Ana' }, wa_id: USER }],
    ...items,
  });
}

export function status(id: string, value: string, at: number, extra: Json = {}): Json {
  return { id, status: value, timestamp: String(at), recipient_id: USER, ...extra };
}

/** An inbound call_permission_reply message; `context` is the id it answers (omitted when undefined). */
export function replyMessage(reply: Json, context: string | undefined, at = T, id = REPLY_ID): Json {
  return {
    from: USER,
    id,
    timestamp: String(at),
    type: 'interactive',
    ...(context === undefined ? {} : { context: { from: USER, id: context } }),
    interactive: { type: 'call_permission_reply', call_permission_reply: reply },
  };
}

export function apiCall(
  method: string,
  path: string,
  body: unknown,
  status: number,
  response: unknown,
  at: string | number = T,
): Json {
  return {
    kind: 'api_call',
    at,
    request: { method, path, ...(body === undefined ? {} : { body }) },
    response: { status, ...(response === undefined ? {} : { body: response }) },
  };
}

export function sendResponse(messageId: string, waId = USER): Json {
  return {
    messaging_product: 'whatsapp',
    contacts: [{ input: waId, wa_id: waId }],
    messages: [{ id: messageId }],
  };
}

/** A free-form permission request's body: its `to` is the user's number. */
export const freeFormRequest = permissionRequestBody(USER, 'free_form') as Json & { to: string };

export function templateSend(name: string, to = USER): Json {
  return permissionRequestBody(to, { template: name });
}

// Builders for Meta wire payloads in tests, with the reference's fake ids. They build the documented shapes;
// each test states the parts it is about.
export const WABA = '102938475610293';
export const BUSINESS = '109876543210987';
export const USER = '447700900123';
export const REQUEST_ID = 'wamid.HBgMNDQ3NzAwOTAwMTIzFQIAERgSQ1BSMDAwMDAwMDAwMDAwMQA=';
export const REPLY_ID = 'wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhgUUkVQTFkwMDAwMDAwMDAwMDAA';
export const CALL_ID = 'wacid.HBgMNDQ3NzAwOTAwMTIzFQIAEhggQ0FMTDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAA';
export const T = 1_767_168_000;

export const pair = { business: BUSINESS, user: USER };

type Json = Record<string, unknown>;

export function webhook(field: string, value: Json): Json {
  return { object: 'whatsapp_business_account', entry: [{ id: WABA, changes: [{ field, value }] }] };
}

const metadata = { display_phone_number: '15550001111', phone_number_id: BUSINESS };

export function messagesWebhook(items: { statuses?: Json[]; messages?: Json[] }): Json {
  return webhook('messages', { messaging_product: 'whatsapp', metadata, ...items });
}

export function callsWebhook(items: { calls?: Json[]; statuses?: Json[] }): Json {
  return webhook('calls', {
    messaging_product: 'whatsapp',
    metadata,
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

export const freeFormRequest = {
  messaging_product: 'whatsapp',
  recipient_type: 'individual',
  to: USER,
  type: 'interactive',
  interactive: {
    type: 'call_permission_request',
    action: { name: 'call_permission_request' },
    body: { text: 'May we call you about order ON-12853?' },
  },
};

export function templateSend(name: string, to = USER): Json {
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to,
    type: 'template',
    template: { name, language: { policy: 'deterministic', code: 'en_US' } },
  };
}

// Builders of capture lines in Meta's wire shapes (reference §1–§8), for end-to-end tests of the CLI and the
// HTTP service (`payloadOf` takes the webhook body out of a webhook line). No dependency: plain JSON.
export const BUSINESS = '109876543210987';
export const WABA = '102938475610293';
export const USER = '447700900123';

const iso = (at: number) => new Date(at * 1000).toISOString();

function webhook(field: string, value: Record<string, unknown>, receivedAt: number): string {
  return JSON.stringify({
    kind: 'webhook',
    received_at: iso(receivedAt),
    payload: {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: WABA,
          changes: [
            {
              field,
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '15550001111', phone_number_id: BUSINESS },
                ...value,
              },
            },
          ],
        },
      ],
    },
  });
}

export function status(
  id: string,
  s: 'sent' | 'delivered' | 'read' | 'failed',
  at: number,
  user = USER,
): string {
  const item: Record<string, unknown> = { id, status: s, timestamp: String(at), recipient_id: user };
  if (s === 'failed') item.errors = [{ code: 131026, title: 'Message undeliverable' }];
  return webhook('messages', { statuses: [item] }, at);
}

export interface ReplyOptions {
  response: 'accept' | 'reject';
  context?: string;
  permanent?: boolean;
  expiration?: number | string;
  source?: 'user_action' | 'automatic';
}

export function reply(id: string, at: number, o: ReplyOptions, user = USER): string {
  const body: Record<string, unknown> = { response: o.response };
  if (o.permanent !== undefined) body.is_permanent = o.permanent;
  if (o.expiration !== undefined) body.expiration_timestamp = o.expiration;
  if (o.source !== undefined) body.response_source = o.source;
  const message: Record<string, unknown> = {
    from: user,
    id,
    timestamp: String(at),
    type: 'interactive',
    interactive: { type: 'call_permission_reply', call_permission_reply: body },
  };
  if (o.context) message.context = { from: user, id: o.context };
  return webhook(
    'messages',
    { contacts: [{ profile: { name: 'Ana' }, wa_id: user }], messages: [message] },
    at,
  );
}

export function userText(id: string, at: number, user = USER): string {
  return webhook(
    'messages',
    { messages: [{ from: user, id, timestamp: String(at), type: 'text', text: { body: 'hi' } }] },
    at,
  );
}

export function callConnect(
  id: string,
  at: number,
  direction: 'USER_INITIATED' | 'BUSINESS_INITIATED',
  user = USER,
): string {
  const [from, to] = direction === 'USER_INITIATED' ? [user, '15550001111'] : ['15550001111', user];
  return webhook(
    'calls',
    {
      calls: [
        {
          id,
          from,
          to,
          event: 'connect',
          timestamp: String(at),
          direction,
          session: { sdp_type: 'offer', sdp: 'v=0' },
        },
      ],
    },
    at,
  );
}

export function callTerminate(
  id: string,
  at: number,
  direction: 'USER_INITIATED' | 'BUSINESS_INITIATED',
  started?: { start: number; duration: number },
  statusText: 'COMPLETED' | 'FAILED' = 'COMPLETED',
  user = USER,
): string {
  const [from, to] = direction === 'USER_INITIATED' ? [user, '15550001111'] : ['15550001111', user];
  const call: Record<string, unknown> = {
    id,
    from,
    to,
    event: 'terminate',
    direction,
    timestamp: String(at),
    status: statusText,
  };
  if (started) {
    call.start_time = String(started.start);
    call.end_time = String(started.start + started.duration);
    call.duration = started.duration;
  }
  return webhook('calls', { calls: [call] }, at);
}

export function callStatus(
  id: string,
  s: 'RINGING' | 'ACCEPTED' | 'REJECTED',
  at: number,
  user = USER,
): string {
  return webhook(
    'calls',
    { statuses: [{ id, timestamp: String(at), type: 'call', status: s, recipient_id: user }] },
    at,
  );
}

function apiCall(
  at: number,
  method: string,
  path: string,
  body: unknown,
  status: number,
  response: unknown,
): string {
  const request: Record<string, unknown> = { method, path };
  if (body !== undefined) request.body = body;
  return JSON.stringify({ kind: 'api_call', at: iso(at), request, response: { status, body: response } });
}

/** The body of a free-form (interactive) call permission request to `user` (reference §1). */
export function freeFormRequestBody(user = USER): Record<string, unknown> {
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: user,
    type: 'interactive',
    interactive: {
      type: 'call_permission_request',
      action: { name: 'call_permission_request' },
      body: { text: 'May we call?' },
    },
  };
}

/** The body of a template send to `user` (reference §2). */
export function templateSendBody(name: string, user = USER): Record<string, unknown> {
  return {
    messaging_product: 'whatsapp',
    to: user,
    type: 'template',
    template: { name, language: { code: 'en_US' } },
  };
}

export function sendFreeForm(wamid: string, at: number, httpStatus = 200, user = USER): string {
  const ok = httpStatus < 300;
  return apiCall(
    at,
    'POST',
    `/v23.0/${BUSINESS}/messages`,
    freeFormRequestBody(user),
    httpStatus,
    ok
      ? { messaging_product: 'whatsapp', contacts: [{ input: user, wa_id: user }], messages: [{ id: wamid }] }
      : { error: { message: 'limit', type: 'OAuthException', code: 138009 } },
  );
}

export function createTemplate(name: string, at: number): string {
  return apiCall(
    at,
    'POST',
    `/v23.0/${WABA}/message_templates`,
    {
      name,
      language: 'en_US',
      category: 'UTILITY',
      components: [
        { type: 'BODY', text: 'May we call you about your order?' },
        { type: 'call_permission_request' },
      ],
    },
    200,
    { id: '546151681022936', status: 'PENDING', category: 'UTILITY' },
  );
}

export function sendTemplate(wamid: string, name: string, at: number, user = USER): string {
  return apiCall(at, 'POST', `/v23.0/${BUSINESS}/messages`, templateSendBody(name, user), 200, {
    messaging_product: 'whatsapp',
    contacts: [{ input: user, wa_id: user }],
    messages: [{ id: wamid }],
  });
}

export function settings(callback: 'ENABLED' | 'DISABLED', at: number): string {
  return apiCall(
    at,
    'POST',
    `/v23.0/${BUSINESS}/settings`,
    { calling: { status: 'ENABLED', callback_permission_status: callback } },
    200,
    {
      success: true,
    },
  );
}

export function getPermissions(at: number, response: unknown, user = USER): string {
  return apiCall(
    at,
    'GET',
    `/v23.0/${BUSINESS}/call_permissions?user_wa_id=${user}`,
    undefined,
    200,
    response,
  );
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

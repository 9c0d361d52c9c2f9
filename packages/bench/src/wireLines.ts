import type { Business } from './identities.js';
import { OTHER_TEMPLATES, PERMISSION_TEMPLATES, type StoryEvent } from './story.js';

/**
 * Story events as capture lines (docs/capture-format.md): Meta's webhook bodies and the business's logged
 * Graph API calls, in the shapes of the wire reference (§1–§8), with fake ids.
 */
export type CaptureLine =
  | { kind: 'webhook'; receivedAt: number; payload: object }
  | { kind: 'api_call'; at: number; request: object; response: object };

export interface PairIds {
  readonly business: Business;
  readonly user: string;
  readonly name: string;
}

const GRAPH = '/v23.0';
const SDP =
  'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n';

export function lineText(line: CaptureLine, receivedAt?: number): string {
  return line.kind === 'webhook'
    ? JSON.stringify({
        kind: 'webhook',
        received_at: iso(receivedAt ?? line.receivedAt),
        payload: line.payload,
      })
    : JSON.stringify({ kind: 'api_call', at: iso(line.at), request: line.request, response: line.response });
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

function envelope(b: Business, field: string, value: object): object {
  return { object: 'whatsapp_business_account', entry: [{ id: b.wabaId, changes: [{ field, value }] }] };
}

function metadata(b: Business): object {
  return { display_phone_number: b.displayNumber, phone_number_id: b.phoneNumberId };
}

function webhook(b: Business, field: string, value: object, at: number): CaptureLine {
  // Meta posts within a second or two of the event.
  return { kind: 'webhook', receivedAt: at + (at % 3), payload: envelope(b, field, value) };
}

function apiCall(
  at: number,
  method: string,
  path: string,
  body: object | undefined,
  status: number,
  response: object,
) {
  const request = body === undefined ? { method, path } : { method, path, body };
  return { kind: 'api_call' as const, at, request, response: { status, body: response } };
}

function sendResponse(ids: PairIds, messageId: string): object {
  return {
    messaging_product: 'whatsapp',
    contacts: [{ input: ids.user, wa_id: ids.user }],
    messages: [{ id: messageId }],
  };
}

function graphError(code: number, message: string): object {
  return {
    error: {
      message: `(#${code}) ${message}`,
      type: 'OAuthException',
      code,
      error_data: { messaging_product: 'whatsapp', details: message },
      fbtrace_id: 'AbCdEfGhIjKlMnOpQrStUvW',
    },
  };
}

function templateBody(ids: PairIds, name: string): object {
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: ids.user,
    type: 'template',
    template: {
      name,
      language: { policy: 'deterministic', code: 'en_US' },
      components: [
        { type: 'body', parameters: [{ type: 'text', parameter_name: 'first_name', text: ids.name }] },
      ],
    },
  };
}

export function storyLine(event: StoryEvent, ids: PairIds): CaptureLine {
  const b = ids.business;
  const at = event.at;
  const messagesPath = `${GRAPH}/${b.phoneNumberId}/messages`;
  switch (event.type) {
    case 'user_message':
      return webhook(
        b,
        'messages',
        {
          messaging_product: 'whatsapp',
          metadata: metadata(b),
          contacts: [{ profile: { name: ids.name }, wa_id: ids.user }],
          messages: [
            {
              from: ids.user,
              id: event.id,
              timestamp: String(at),
              type: 'text',
              text: { body: 'Hi, about my order' },
            },
          ],
        },
        at,
      );
    case 'message_send': {
      const body = event.template
        ? templateBody(ids, event.template)
        : {
            messaging_product: 'whatsapp',
            recipient_type: 'individual',
            to: ids.user,
            type: 'text',
            text: { body: 'Thanks, we are looking into it.' },
          };
      return apiCall(at, 'POST', messagesPath, body, 200, sendResponse(ids, event.id));
    }
    case 'request_send': {
      const body =
        event.channel === 'template'
          ? templateBody(ids, event.template ?? PERMISSION_TEMPLATES[0])
          : {
              messaging_product: 'whatsapp',
              recipient_type: 'individual',
              to: ids.user,
              type: 'interactive',
              interactive: {
                type: 'call_permission_request',
                action: { name: 'call_permission_request' },
                body: { text: 'May we call you about your order?' },
              },
            };
      if (event.refusedWith === 138009)
        return apiCall(
          at,
          'POST',
          messagesPath,
          body,
          400,
          graphError(138009, 'Call permission request limit hit'),
        );
      if (event.refusedWith !== undefined)
        return apiCall(
          at,
          'POST',
          messagesPath,
          body,
          400,
          graphError(event.refusedWith, 'Permanent permission exists'),
        );
      return apiCall(at, 'POST', messagesPath, body, 200, sendResponse(ids, event.id));
    }
    case 'status': {
      const status: Record<string, unknown> = {
        id: event.id,
        status: event.status,
        timestamp: String(at),
        recipient_id: ids.user,
      };
      if (event.status === 'delivered')
        status.pricing = { billable: true, pricing_model: 'PMP', type: 'regular', category: 'utility' };
      if (event.status === 'failed')
        status.errors = [
          {
            code: event.errorCode ?? 131026,
            title: 'Message undeliverable',
            message: 'Message undeliverable',
            error_data: { details: 'The recipient cannot receive this message type.' },
          },
        ];
      return webhook(
        b,
        'messages',
        { messaging_product: 'whatsapp', metadata: metadata(b), statuses: [status] },
        at,
      );
    }
    case 'reply':
      return webhook(b, 'messages', replyValue(event, ids), at);
    case 'call_api':
      return apiCall(
        at,
        'POST',
        `${GRAPH}/${b.phoneNumberId}/calls`,
        {
          messaging_product: 'whatsapp',
          to: ids.user,
          action: 'connect',
          session: { sdp_type: 'offer', sdp: SDP },
          biz_opaque_callback_data: `crm-${event.callId.slice(-10)}`,
        },
        200,
        { messaging_product: 'whatsapp', calls: [{ id: event.callId }] },
      );
    case 'call_connect': {
      const userInitiated = event.direction === 'USER_INITIATED';
      const call = {
        id: event.callId,
        from: userInitiated ? ids.user : b.displayNumber,
        to: userInitiated ? b.displayNumber : ids.user,
        event: 'connect',
        timestamp: String(at),
        direction: event.direction,
        session: { sdp_type: userInitiated ? 'offer' : 'answer', sdp: SDP },
      };
      const value = userInitiated
        ? {
            messaging_product: 'whatsapp',
            metadata: metadata(b),
            contacts: [{ profile: { name: ids.name }, wa_id: ids.user }],
            calls: [call],
          }
        : { messaging_product: 'whatsapp', metadata: metadata(b), calls: [call] };
      return webhook(b, 'calls', value, at);
    }
    case 'call_status':
      return webhook(
        b,
        'calls',
        {
          messaging_product: 'whatsapp',
          metadata: metadata(b),
          statuses: [
            {
              id: event.callId,
              timestamp: String(at),
              type: 'call',
              status: event.status,
              recipient_id: ids.user,
            },
          ],
        },
        at,
      );
    case 'call_terminate': {
      const userInitiated = event.direction === 'USER_INITIATED';
      const call: Record<string, unknown> = {
        id: event.callId,
        from: userInitiated ? ids.user : b.displayNumber,
        to: userInitiated ? b.displayNumber : ids.user,
        event: 'terminate',
        direction: event.direction,
        timestamp: String(at),
        status: event.status,
      };
      if (event.startTime !== undefined && event.endTime !== undefined) {
        call.start_time = String(event.startTime);
        call.end_time = String(event.endTime);
        call.duration = event.endTime - event.startTime;
      }
      return webhook(b, 'calls', { messaging_product: 'whatsapp', metadata: metadata(b), calls: [call] }, at);
    }
    case 'permissions_get': {
      const v = event.view;
      const permission =
        v.expiresAt === undefined ? { status: v.status } : { status: v.status, expiration_time: v.expiresAt };
      const requestLimits = [limit('PT24H', 1, v.requests24h, at), limit('P7D', 2, v.requests7d, at)];
      const callLimits = [limit('PT24H', 100, v.calls24h, at)];
      return apiCall(
        at,
        'GET',
        `${GRAPH}/${b.phoneNumberId}/call_permissions?user_wa_id=${ids.user}`,
        undefined,
        200,
        {
          messaging_product: 'whatsapp',
          permission,
          actions: [
            {
              action_name: 'send_call_permission_request',
              can_perform_action: v.status !== 'permanent' && v.requests24h < 1 && v.requests7d < 2,
              limits: requestLimits,
            },
            {
              action_name: 'start_call',
              can_perform_action: v.status !== 'no_permission' && v.calls24h < 100,
              limits: callLimits,
            },
          ],
        },
      );
    }
  }
}

function limit(period: string, max: number, usage: number, at: number): object {
  // limit_expiration_time appears only on an exhausted limit; the story does not track when it frees.
  return usage >= max
    ? { time_period: period, max_allowed: max, current_usage: usage, limit_expiration_time: at + 86400 }
    : { time_period: period, max_allowed: max, current_usage: usage };
}

function replyValue(event: Extract<StoryEvent, { type: 'reply' }>, ids: PairIds): object {
  const r = event.reply;
  let context: { from: string; id: string } | undefined;
  let reply: Record<string, unknown>;
  // expiration_timestamp: a string in Meta's 2026 samples, a number in payloads seen in the field.
  const expiry = (expiresAt: number) => (expiresAt % 2 === 0 ? String(expiresAt) : expiresAt);
  switch (r.scenario) {
    case 'temporary_from_request':
      context = { from: ids.user, id: r.requestId };
      reply = {
        response: 'accept',
        is_permanent: false,
        expiration_timestamp: expiry(r.expiresAt),
        response_source: 'user_action',
      };
      break;
    case 'permanent_from_request':
      context = { from: ids.user, id: r.requestId };
      reply = { response: 'accept', is_permanent: true, response_source: 'user_action' };
      break;
    case 'permanent_from_profile':
      reply = { response: 'accept', is_permanent: true, response_source: 'user_action' };
      break;
    case 'decline':
      context = { from: ids.user, id: r.requestId };
      reply = { response: 'reject', response_source: 'user_action' };
      break;
    case 'callback_grant':
      context = { from: ids.user, id: r.callId };
      reply = {
        response: 'accept',
        is_permanent: false,
        expiration_timestamp: expiry(r.expiresAt),
        response_source: 'automatic',
      };
      break;
    case 'automatic_revoke':
      reply = { response: 'reject', response_source: 'automatic' };
      break;
    case 'user_revoke':
      reply = { response: 'reject', response_source: 'user_action' };
      break;
  }
  const message = {
    from: ids.user,
    id: event.id,
    timestamp: String(event.at),
    type: 'interactive',
    ...(context ? { context } : {}),
    interactive: { type: 'call_permission_reply', call_permission_reply: reply },
  };
  return {
    messaging_product: 'whatsapp',
    metadata: metadata(ids.business),
    contacts: [{ profile: { name: ids.name }, wa_id: ids.user }],
    messages: [message],
  };
}

/** The lines a business number starts with: its templates (two carry the permission component) and settings. */
export function businessSetupLines(b: Business, at: number): CaptureLine[] {
  const lines: CaptureLine[] = [];
  for (const name of [...PERMISSION_TEMPLATES, ...OTHER_TEMPLATES]) {
    const permission = (PERMISSION_TEMPLATES as readonly string[]).includes(name);
    const components: object[] = [
      {
        type: 'body',
        text: 'Hi {{first_name}}, about your order.',
        example: { body_text_named_params: [{ param_name: 'first_name', example: 'Pablo' }] },
      },
    ];
    if (permission) components.push({ type: 'call_permission_request' });
    lines.push(
      apiCall(
        at,
        'POST',
        `${GRAPH}/${b.wabaId}/message_templates`,
        { name, language: 'en_US', category: 'UTILITY', parameter_format: 'named', components },
        200,
        {
          id: `54615168${String(b.index).padStart(5, '0')}${lines.length}`,
          status: 'PENDING',
          category: 'UTILITY',
        },
      ),
    );
  }
  lines.push(...callbackSettingLines(b, at + 60, true));
  return lines;
}

/** The business changes its callback setting: its API call, then Meta's account_settings_update webhook. */
export function callbackSettingLines(b: Business, at: number, enabled: boolean): CaptureLine[] {
  const status = enabled ? 'ENABLED' : 'DISABLED';
  return [
    apiCall(
      at,
      'POST',
      `${GRAPH}/${b.phoneNumberId}/settings`,
      { calling: { status: 'ENABLED', call_icon_visibility: 'DEFAULT', callback_permission_status: status } },
      200,
      { success: true },
    ),
    webhook(
      b,
      'account_settings_update',
      {
        type: 'phone_number_settings',
        timestamp: String(at + 1),
        phone_number_settings: {
          phone_number_id: b.phoneNumberId,
          calling: { status: 'ENABLED', call_icon_visibility: 'DEFAULT', callback_permission_status: status },
        },
      },
      at + 1,
    ),
  ];
}

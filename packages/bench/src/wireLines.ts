import {
  type ApiCallLine,
  callConnectWebhook,
  callPermissionsCall,
  callStatusWebhook,
  callTerminateWebhook,
  createTemplateCall,
  messageCall,
  messageStatusWebhook,
  type PermissionReplyItem,
  permissionReplyWebhook,
  permissionRequestBody,
  permissionRequestCall,
  settingsCall,
  startCallCall,
  userMessageWebhook,
  type WebhookBody,
  webhookBody,
} from '@callpermit/cloud-api';
import type { Business } from './identities.js';
import { OTHER_TEMPLATES, PERMISSION_TEMPLATES, type StoryEvent } from './story.js';

/**
 * Story events as capture lines (docs/capture-format.md): Meta's webhook bodies and the business's logged
 * Graph API calls, built by cloud-api's builders in the shapes of the wire reference (§1–§8), with fake ids.
 */
export type CaptureLine =
  | { kind: 'webhook'; receivedAt: number; payload: object }
  | { kind: 'api_call'; at: number; request: object; response: object };

export interface PairIds {
  readonly business: Business;
  readonly user: string;
  readonly name: string;
}

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

function webhook(payload: WebhookBody, at: number): CaptureLine {
  // Meta posts within a second or two of the event.
  return { kind: 'webhook', receivedAt: at + (at % 3), payload };
}

/** A Graph call built by cloud-api, as a line of its own instant. */
function apiCall(at: number, built: ApiCallLine): CaptureLine {
  return { kind: 'api_call', at, request: built.request, response: built.response };
}

/** The send's named parameter: the user's first name. */
function templateVia(ids: PairIds, name: string): { template: string; components: object[] } {
  return {
    template: name,
    components: [
      { type: 'body', parameters: [{ type: 'text', parameter_name: 'first_name', text: ids.name }] },
    ],
  };
}

/** The message of Meta's refusal of a request send: the limit, else the permanent permission. */
const refusalMessage = (code: number) =>
  code === 138009 ? 'Call permission request limit hit' : 'Permanent permission exists';

export function storyLine(event: StoryEvent, ids: PairIds): CaptureLine {
  const b = ids.business;
  const at = event.at;
  const user = ids.user;
  switch (event.type) {
    case 'user_message':
      return webhook(
        userMessageWebhook(b, { messageId: event.id, user, at, text: 'Hi, about my order', name: ids.name }),
        at,
      );
    case 'message_send': {
      // Not a permission request: an ordinary template, or text.
      const body = event.template
        ? permissionRequestBody(user, templateVia(ids, event.template))
        : {
            messaging_product: 'whatsapp',
            recipient_type: 'individual',
            to: user,
            type: 'text',
            text: { body: 'Thanks, we are looking into it.' },
          };
      return apiCall(at, messageCall(b, { at, user, body, outcome: { messageId: event.id } }));
    }
    case 'request_send': {
      const via =
        event.channel === 'template'
          ? templateVia(ids, event.template ?? PERMISSION_TEMPLATES[0])
          : ('free_form' as const);
      const outcome =
        event.refusedWith === undefined
          ? { messageId: event.id }
          : {
              httpStatus: 400,
              code: event.refusedWith,
              message: refusalMessage(event.refusedWith),
            };
      return apiCall(
        at,
        permissionRequestCall(b, { at, user, via, text: 'May we call you about your order?', outcome }),
      );
    }
    case 'status':
      return webhook(
        messageStatusWebhook(b, {
          messageId: event.id,
          user,
          status: event.status,
          at,
          ...(event.status === 'delivered'
            ? { pricing: { billable: true, pricing_model: 'PMP', type: 'regular', category: 'utility' } }
            : {}),
          ...(event.errorCode === undefined ? {} : { errorCode: event.errorCode }),
          errorDetails: 'The recipient cannot receive this message type.',
        }),
        at,
      );
    case 'reply':
      return webhook(replyWebhook(event, ids), at);
    case 'call_api':
      return apiCall(
        at,
        startCallCall(b, {
          at,
          user,
          outcome: { callId: event.callId },
          sdp: SDP,
          callbackData: `crm-${event.callId.slice(-10)}`,
        }),
      );
    case 'call_connect':
      return webhook(
        callConnectWebhook(b, {
          callId: event.callId,
          user,
          at,
          direction: event.direction,
          sdp: SDP,
          contact: event.direction === 'USER_INITIATED' && { name: ids.name },
        }),
        at,
      );
    case 'call_status':
      return webhook(
        callStatusWebhook(b, { callId: event.callId, user, at, status: event.status, contact: false }),
        at,
      );
    case 'call_terminate': {
      const picked =
        event.startTime !== undefined && event.endTime !== undefined
          ? { startedAt: event.startTime, endedAt: event.endTime }
          : {};
      return webhook(
        callTerminateWebhook(b, {
          callId: event.callId,
          user,
          at,
          direction: event.direction,
          status: event.status,
          contact: false,
          ...picked,
        }),
        at,
      );
    }
    case 'permissions_get': {
      const v = event.view;
      const permission =
        v.expiresAt === undefined ? { status: v.status } : { status: v.status, expiration_time: v.expiresAt };
      const requestLimits = [limit('PT24H', 1, v.requests24h, at), limit('P7D', 2, v.requests7d, at)];
      const callLimits = [limit('PT24H', 100, v.calls24h, at)];
      return apiCall(
        at,
        callPermissionsCall(b, {
          at,
          user,
          body: {
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
        }),
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

/** The six documented reply scenarios and the profile revoke, as Meta words each. */
function replyWebhook(event: Extract<StoryEvent, { type: 'reply' }>, ids: PairIds): WebhookBody {
  const r = event.reply;
  // expiration_timestamp: a string in Meta's 2026 samples, a number in payloads seen in the field.
  const expiry = (expiresAt: number) => (expiresAt % 2 === 0 ? String(expiresAt) : expiresAt);
  const item = { replyId: event.id, user: ids.user, at: event.at, name: ids.name };
  const reply = (o: Omit<PermissionReplyItem, keyof typeof item>) =>
    permissionReplyWebhook(ids.business, { ...item, ...o });
  switch (r.scenario) {
    case 'temporary_from_request':
      return reply({
        response: 'accept',
        context: r.requestId,
        permanent: false,
        expiresAt: expiry(r.expiresAt),
        source: 'user_action',
      });
    case 'permanent_from_request':
      return reply({ response: 'accept', context: r.requestId, permanent: true, source: 'user_action' });
    case 'permanent_from_profile':
      return reply({ response: 'accept', permanent: true, source: 'user_action' });
    case 'decline':
      return reply({ response: 'reject', context: r.requestId, source: 'user_action' });
    case 'callback_grant':
      return reply({
        response: 'accept',
        context: r.callId,
        permanent: false,
        expiresAt: expiry(r.expiresAt),
        source: 'automatic',
      });
    case 'automatic_revoke':
      return reply({ response: 'reject', source: 'automatic' });
    case 'user_revoke':
      return reply({ response: 'reject', source: 'user_action' });
  }
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
    const templateId = `54615168${String(b.index).padStart(5, '0')}${lines.length}`;
    lines.push(
      apiCall(at, createTemplateCall(b, { at, name, parameterFormat: 'named', components, templateId })),
    );
  }
  lines.push(...callbackSettingLines(b, at + 60, true));
  return lines;
}

/** The business changes its callback setting: its API call, then Meta's account_settings_update webhook. */
export function callbackSettingLines(b: Business, at: number, enabled: boolean): CaptureLine[] {
  const status = enabled ? 'ENABLED' : 'DISABLED';
  return [
    apiCall(at, settingsCall(b, { at, calling: true, iconVisibility: 'DEFAULT', callback: enabled })),
    webhook(
      webhookBody(b, 'account_settings_update', {
        type: 'phone_number_settings',
        timestamp: String(at + 1),
        phone_number_settings: {
          phone_number_id: b.phoneNumberId,
          calling: { status: 'ENABLED', call_icon_visibility: 'DEFAULT', callback_permission_status: status },
        },
      }),
      at + 1,
    ),
  ];
}

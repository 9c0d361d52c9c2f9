// The business's Graph API calls as capture lines (docs/capture-format.md): what a logger, or callpermit's own
// guard, records of a call and Meta's answer. Production code: the simulator records Meta's GET answers with
// these; a refused exchange carries Meta's error envelope (§7).
import { type BusinessNumber, FAKE_WABA_ID, isoInstant } from './number.js';
import type { WebhookBody } from './webhooks.js';

type Json = Record<string, unknown>;

const GRAPH = '/v23.0';

export interface ApiCallLine {
  readonly kind: 'api_call';
  readonly at: string;
  readonly request: { readonly method: string; readonly path: string; readonly body?: Json };
  readonly response: { readonly status: number; readonly body: Json };
}

export interface WebhookLine {
  readonly kind: 'webhook';
  readonly received_at: string;
  readonly payload: WebhookBody;
}

export type CaptureLineObject = ApiCallLine | WebhookLine;

/** A webhook body as a capture line, received at `receivedAt`. */
export function webhookLine(payload: WebhookBody, receivedAt: number): WebhookLine {
  return { kind: 'webhook', received_at: isoInstant(receivedAt), payload };
}

/** Meta's answer to a refused call: HTTP status and the Graph error envelope with its code. */
export interface GraphError {
  readonly httpStatus: number;
  readonly code: number;
  readonly message: string;
}

export function graphErrorBody(error: GraphError): Json {
  return {
    error: {
      message: `(#${error.code}) ${error.message}`,
      type: 'OAuthException',
      code: error.code,
      error_data: { messaging_product: 'whatsapp', details: error.message },
      fbtrace_id: 'AbCdEfGhIjKlMnOpQrStUvW',
    },
  };
}

function apiCall(
  at: number,
  method: string,
  path: string,
  body: Json | undefined,
  response: { status: number; body: Json },
): ApiCallLine {
  return {
    kind: 'api_call',
    at: isoInstant(at),
    request: body === undefined ? { method, path } : { method, path, body },
    response,
  };
}

export interface PermissionRequestSend {
  readonly at: number;
  readonly user: string;
  /**
   * A free-form interactive request (§1), or a template carrying the permission component (§2), with the
   * components of the send (its parameters) when it has any.
   */
  readonly via: 'free_form' | { readonly template: string; readonly components?: readonly object[] };
  /** The free-form request's body text. */
  readonly text?: string;
  /** Meta's message id when it accepted the send, or its error when it refused it. */
  readonly outcome: { readonly messageId: string } | GraphError;
}

/** The body of a call permission request to `user`: free-form interactive (§1), or a template (§2). */
export function permissionRequestBody(
  user: string,
  via: PermissionRequestSend['via'],
  text = 'May we call you?',
): Json {
  if (via === 'free_form')
    return {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: user,
      type: 'interactive',
      interactive: {
        type: 'call_permission_request',
        action: { name: 'call_permission_request' },
        body: { text },
      },
    };
  const template: Json = { name: via.template, language: { policy: 'deterministic', code: 'en_US' } };
  if (via.components !== undefined) template.components = via.components;
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: user,
    type: 'template',
    template,
  };
}

/**
 * `POST /{phone_number_id}/messages` sending any message `body` to `user`, and Meta's answer: the message id
 * when it accepted the send, or its error.
 */
export function messageCall(
  business: BusinessNumber,
  send: {
    readonly at: number;
    readonly user: string;
    readonly body: Json;
    readonly outcome: { readonly messageId: string } | GraphError;
  },
): ApiCallLine {
  const response =
    'messageId' in send.outcome
      ? {
          status: 200,
          body: {
            messaging_product: 'whatsapp',
            contacts: [{ input: send.user, wa_id: send.user }],
            messages: [{ id: send.outcome.messageId }],
          },
        }
      : { status: send.outcome.httpStatus, body: graphErrorBody(send.outcome) };
  return apiCall(send.at, 'POST', `${GRAPH}/${business.phoneNumberId}/messages`, send.body, response);
}

/** `POST /{phone_number_id}/messages` sending a call permission request, and Meta's answer. */
export function permissionRequestCall(business: BusinessNumber, send: PermissionRequestSend): ApiCallLine {
  const body = permissionRequestBody(send.user, send.via, send.text);
  return messageCall(business, { at: send.at, user: send.user, body, outcome: send.outcome });
}

export interface CallStart {
  readonly at: number;
  readonly user: string;
  readonly outcome: { readonly callId: string } | GraphError;
  /** The offer's SDP: by default a minimal one. */
  readonly sdp?: string;
  /** `biz_opaque_callback_data`: the business's own reference, echoed in the call's webhooks. */
  readonly callbackData?: string;
}

/** `POST /{phone_number_id}/calls` with `action: connect` (§5), and Meta's answer. */
export function startCallCall(business: BusinessNumber, start: CallStart): ApiCallLine {
  const body: Json = {
    messaging_product: 'whatsapp',
    to: start.user,
    action: 'connect',
    session: { sdp_type: 'offer', sdp: start.sdp ?? 'v=0\r\n' },
  };
  if (start.callbackData !== undefined) body.biz_opaque_callback_data = start.callbackData;
  const response =
    'callId' in start.outcome
      ? { status: 200, body: { messaging_product: 'whatsapp', calls: [{ id: start.outcome.callId }] } }
      : { status: start.outcome.httpStatus, body: graphErrorBody(start.outcome) };
  return apiCall(start.at, 'POST', `${GRAPH}/${business.phoneNumberId}/calls`, body, response);
}

/** `GET /{phone_number_id}/call_permissions?user_wa_id=…` (§3) answered with `body`. */
export function callPermissionsCall(
  business: BusinessNumber,
  query: { readonly at: number; readonly user: string; readonly body: object },
): ApiCallLine {
  return apiCall(
    query.at,
    'GET',
    `${GRAPH}/${business.phoneNumberId}/call_permissions?user_wa_id=${encodeURIComponent(query.user)}`,
    undefined,
    { status: 200, body: query.body as Json },
  );
}

/**
 * `POST /{waba_id}/message_templates` creating a template (§2), by default with a body and the
 * call_permission_request component; `components` replaces them (a template without the component is another
 * template). `templateId` is the id in Meta's answer.
 */
export function createTemplateCall(
  business: BusinessNumber,
  template: {
    readonly at: number;
    readonly name: string;
    readonly language?: string;
    readonly parameterFormat?: 'named' | 'positional';
    readonly components?: readonly object[];
    readonly templateId?: string;
  },
): ApiCallLine {
  const body: Json = { name: template.name, language: template.language ?? 'en_US', category: 'UTILITY' };
  if (template.parameterFormat !== undefined) body.parameter_format = template.parameterFormat;
  body.components = template.components ?? [
    { type: 'body', text: 'May we call you about your order?' },
    { type: 'call_permission_request' },
  ];
  return apiCall(template.at, 'POST', `${GRAPH}/${business.wabaId ?? FAKE_WABA_ID}/message_templates`, body, {
    status: 200,
    body: { id: template.templateId ?? '546151681022936', status: 'PENDING', category: 'UTILITY' },
  });
}

/**
 * `POST /{phone_number_id}/settings` changing calling itself (`calling.status`) and the callback setting
 * (`callback_permission_status`) (§8), and Meta's answer.
 */
export function settingsCall(
  business: BusinessNumber,
  change: {
    readonly at: number;
    readonly calling?: boolean;
    /** `call_icon_visibility`: DEFAULT, or DISABLE_ALL to hide the call button. */
    readonly iconVisibility?: string;
    readonly callback?: boolean;
  },
): ApiCallLine {
  const word = (on: boolean) => (on ? 'ENABLED' : 'DISABLED');
  const calling: Json = {};
  if (change.calling !== undefined) calling.status = word(change.calling);
  if (change.iconVisibility !== undefined) calling.call_icon_visibility = change.iconVisibility;
  if (change.callback !== undefined) calling.callback_permission_status = word(change.callback);
  return apiCall(
    change.at,
    'POST',
    `${GRAPH}/${business.phoneNumberId}/settings`,
    { calling },
    {
      status: 200,
      body: { success: true },
    },
  );
}

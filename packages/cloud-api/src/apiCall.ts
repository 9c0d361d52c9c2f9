// Logged Graph API calls → facts. A call only says something happened when Meta accepted it (2xx); the
// endpoint is recognised from the path, with or without a Graph version or host in front.
import {
  type Attempt,
  businessIdProblem,
  type ObservedUsage,
  type PermissionStatus,
  userIdProblem,
} from '@callpermit/core';
import {
  apiCallEntry,
  type CallPermissionsResponse,
  callPermissionsResponse,
  callRequest,
  callResponse,
  createTemplateRequest,
  LIMITED_ACTIONS,
  periodSeconds,
  sendMessageRequest,
  sendMessageResponse,
  settingsRequest,
} from './apiCallSchema.js';
import type { Batch } from './batch.js';
import { waId } from './identity.js';
import { callingSettingFacts } from './settings.js';
import { readInstant, toSeconds } from './wire.js';
import { check, joinPath, WireRefusal } from './wireRefusal.js';

// [scheme://host]/[vNN.N/]{node}/{edge}[/][?query]
export const GRAPH_PATH =
  /^(?:[a-z]+:\/\/[^/]+)?\/?(?:v\d+(?:\.\d+)?\/)?([^/?#]+)\/([^/?#]+)\/?(?:\?([^#]*))?(?:#.*)?$/i;

interface Call {
  at: number;
  node: string;
  query: string;
  requestBody: unknown;
  responseBody: unknown;
}

type At = (...segments: (string | number)[]) => string;

export function translateApiCall(raw: unknown, prefix: string, out: Batch): void {
  const entry = check(apiCallEntry, raw, prefix);
  const status = entry.response.status;
  const match = GRAPH_PATH.exec(entry.request.path);
  // Refused calls changed nothing at Meta; other endpoints are not about permissions.
  if (status < 200 || status >= 300 || !match) {
    out.ignored++;
    return;
  }
  const [, node = '', edge = '', query = ''] = match;
  const call: Call = {
    at: readInstant(entry.at, () => joinPath(prefix, ['at'])),
    node,
    query,
    requestBody: entry.request.body,
    responseBody: entry.response.body,
  };
  const at: At = (...segments) => joinPath(prefix, segments);
  switch (`${entry.request.method.toUpperCase()} ${edge}`) {
    case 'POST messages':
      sendMessage(call, at, out);
      break;
    case 'POST message_templates':
      createTemplate(call, at, out);
      break;
    case 'POST calls':
      startCall(call, at, out);
      break;
    case 'POST settings':
      changeSettings(call, at, out);
      break;
    case 'GET call_permissions':
      observePermission(call, at, out);
      break;
    default:
      out.ignored++;
  }
}

/** A Graph API request as the business sends it: method, path (with or without version and host), JSON body. */
export interface GraphRequest {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
}

/**
 * What the guard makes of a Graph request: the attempt it must decide, or — for a request that is an attempt
 * by its shape but cannot be read (no readable recipient, say) — why not, so the guard refuses it instead of
 * forwarding it undecided.
 */
export type GraphAttempt =
  | Attempt
  | { readonly unreadable: { readonly path: string; readonly reason: string } };

/**
 * The permission request or call a Graph request attempts, which the guard must decide before it reaches Meta:
 * `POST /{phone_number_id}/messages` with an interactive `call_permission_request` (free-form) or a template
 * in `templates` (a template known to carry the permission component), and `POST /{phone_number_id}/calls`
 * with `action: connect`. What makes a request an attempt is read loosely (those few fields), so a body this
 * schema would refuse is never forwarded undecided: it is `unreadable`. Anything else (other messages and
 * actions, other endpoints) is no attempt: undefined. The same reading as the translation of the logged call.
 */
export function graphAttempt(
  request: GraphRequest,
  templates: ReadonlySet<string>,
): GraphAttempt | undefined {
  const match = GRAPH_PATH.exec(request.path);
  if (!match || request.method.toUpperCase() !== 'POST') return undefined;
  const [, node = '', edge = ''] = match;
  const shape = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as {
    type?: unknown;
    interactive?: { type?: unknown };
    template?: { name?: unknown };
    action?: unknown;
  };
  if (edge.toLowerCase() === 'messages') {
    const template = shape.template?.name;
    const channel =
      shape.interactive?.type === 'call_permission_request'
        ? 'free_form'
        : shape.type === 'template' && typeof template === 'string' && templates.has(template)
          ? 'template'
          : undefined;
    if (channel === undefined) return undefined;
    const body = readable(sendMessageRequest, request.body);
    if ('unreadable' in body) return body;
    return { type: 'SendPermissionRequest', pair: { business: node, user: recipientIn(body) }, channel };
  }
  if (edge.toLowerCase() === 'calls' && shape.action === 'connect') {
    const body = readable(callRequest, request.body);
    if ('unreadable' in body) return body;
    return { type: 'StartCall', pair: { business: node, user: recipientIn(body) } };
  }
  return undefined;
}

/** A body as the schema reads it, or why it cannot be read (the first issue's path and reason). */
function readable<T extends object>(
  schema: Parameters<typeof check<T>>[0],
  body: unknown,
): T | { readonly unreadable: { readonly path: string; readonly reason: string } } {
  try {
    return check(schema, body, 'body');
  } catch (error) {
    if (error instanceof WireRefusal) return { unreadable: { path: error.path, reason: error.reason } };
    throw error;
  }
}

/** The node of the path as the business (a phone-number id), or a WireRefusal at `request.path`. */
function businessOf(call: Call, at: At): string {
  const problem = businessIdProblem(call.node);
  if (problem !== undefined) throw new WireRefusal(at('request', 'path'), `the node of the path: ${problem}`);
  return call.node;
}

/**
 * `to` (a phone number, normalised to a wa_id) wins over `recipient` (a BSUID, checked by the schema), as at
 * Meta. A `to` that is not a phone number once normalised is refused at its path.
 */
function recipientOf(body: Recipient, at: At): string {
  const user = recipientIn(body);
  if (body.to === undefined) return user;
  const problem = userIdProblem(user);
  if (problem !== undefined) throw new WireRefusal(at('request', 'body', 'to'), problem);
  return user;
}

type Recipient = { to?: string | number | undefined; recipient?: string | undefined };

/**
 * The user a send or call names, unchecked: `to` normalised to a wa_id, else `recipient`. The guard checks it
 * when it decides (an attempt on a malformed user is refused as input, never forwarded unguarded).
 */
function recipientIn(body: Recipient): string {
  return body.to !== undefined ? waId(String(body.to)) : (body.recipient as string);
}

function sendMessage(call: Call, at: At, out: Batch): void {
  const request = check(sendMessageRequest, call.requestBody, () => at('request', 'body'));
  const response = check(sendMessageResponse, call.responseBody, () => at('response', 'body'));
  const messageId = (response.messages[0] as { id: string }).id;
  const template = request.type === 'template' ? request.template?.name : undefined;
  const channel =
    request.interactive?.type === 'call_permission_request'
      ? 'free_form'
      : template !== undefined && out.templates.has(template)
        ? 'template'
        : undefined;
  out.memory.remember(messageId, channel ?? 'other', call.at);
  if (channel === undefined) {
    out.ignored++;
    return;
  }
  out.facts.push({
    type: 'RequestSent',
    pair: { business: businessOf(call, at), user: response.contacts?.[0]?.wa_id ?? recipientOf(request, at) },
    at: call.at,
    key: `api:request:${messageId}`,
    source: out.source,
    requestId: messageId,
    channel,
    tentative: false,
  });
}

function createTemplate(call: Call, at: At, out: Batch): void {
  const template = check(createTemplateRequest, call.requestBody, () => at('request', 'body'));
  // 2025 samples write component types in upper case, 2026 ones in lower case.
  if (!template.components?.some((c) => c.type.toLowerCase() === 'call_permission_request')) {
    out.ignored++;
    return;
  }
  const business = businessOf(call, at);
  out.templates.add(template.name);
  out.facts.push({
    type: 'TemplateKnown',
    business,
    name: template.name,
    ...(template.language === undefined ? {} : { language: template.language }),
    at: call.at,
    key: `api:template:${call.node}:${template.name}:${template.language ?? ''}`,
    source: out.source,
  });
}

function startCall(call: Call, at: At, out: Batch): void {
  const request = check(callRequest, call.requestBody, () => at('request', 'body'));
  if (request.action !== 'connect') {
    out.ignored++;
    return;
  }
  const response = check(callResponse, call.responseBody, () => at('response', 'body'));
  const callId = (response.calls[0] as { id: string }).id;
  out.facts.push({
    type: 'CallAttempted',
    pair: { business: businessOf(call, at), user: recipientOf(request, at) },
    at: call.at,
    key: `api:call:${callId}`,
    source: out.source,
    callId,
  });
}

function changeSettings(call: Call, at: At, out: Batch): void {
  const calling = check(settingsRequest, call.requestBody, () => at('request', 'body')).calling;
  if (calling?.callback_permission_status === undefined && calling?.status === undefined) {
    out.ignored++;
    return;
  }
  callingSettingFacts(calling, businessOf(call, at), call.at, 'api:settings', out);
}

function observePermission(call: Call, at: At, out: Batch): void {
  const query = new URLSearchParams(call.query);
  const phone = query.get('user_wa_id');
  const user = phone ? waId(phone) : query.get('recipient');
  if (!user) throw new WireRefusal(at('request', 'path'), 'needs user_wa_id or recipient in the query');
  const problem = userIdProblem(user);
  if (problem !== undefined)
    throw new WireRefusal(at('request', 'path'), `the user in the query: ${problem}`);
  const business = businessOf(call, at);
  const body = check(callPermissionsResponse, call.responseBody, () => at('response', 'body'));
  const status = observedStatus(body);
  const expiresAt = body.permission.expiration_time;
  const usage = observedUsage(body);
  out.facts.push({
    type: 'PermissionObserved',
    pair: { business, user },
    at: call.at,
    key: `observed:${business}:${user}:${call.at}`,
    source: out.source,
    status,
    ...(status !== 'temporary' || expiresAt === undefined ? {} : { expiresAt: toSeconds(expiresAt) }),
    ...(usage.length === 0 ? {} : { usage }),
  });
}

/** OpenAPI's `granted` is temporary when it expires and permanent otherwise; pending/denied/expired grant nothing. */
function observedStatus(body: CallPermissionsResponse): PermissionStatus {
  const { status, expiration_time } = body.permission;
  if (status === 'granted') return expiration_time === undefined ? 'permanent' : 'temporary';
  return status === 'temporary' || status === 'permanent' ? status : 'no_permission';
}

function observedUsage(body: CallPermissionsResponse): ObservedUsage[] {
  const usage: ObservedUsage[] = [];
  for (const action of body.actions ?? []) {
    if (!LIMITED_ACTIONS.has(action.action_name)) continue;
    for (const limit of action.limits ?? []) {
      usage.push({
        action: action.action_name as ObservedUsage['action'],
        periodSeconds: periodSeconds(limit.time_period) as number, // checked by the schema
        maxAllowed: limit.max_allowed,
        currentUsage: limit.current_usage,
      });
    }
  }
  return usage;
}

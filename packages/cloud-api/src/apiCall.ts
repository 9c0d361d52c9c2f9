// Logged Graph API calls → facts. A call only says something happened when Meta accepted it (2xx); the
// endpoint is recognised from the path, with or without a Graph version or host in front.
import { businessIdProblem, type ObservedStatus, type ObservedUsage, userIdProblem } from '@callpermit/core';
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
import { check, joinPath, Refusal } from './refusal.js';
import { readInstant, toSeconds } from './wire.js';

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

/** The node of the path as the business (a phone-number id), or a Refusal at `request.path`. */
function businessOf(call: Call, at: At): string {
  const problem = businessIdProblem(call.node);
  if (problem !== undefined) throw new Refusal(at('request', 'path'), `the node of the path: ${problem}`);
  return call.node;
}

/**
 * `to` (a phone number, normalised to a wa_id) wins over `recipient` (a BSUID, checked by the schema), as at
 * Meta. A `to` that is not a phone number once normalised is refused at its path.
 */
function recipientOf(body: { to?: string | undefined; recipient?: string | undefined }, at: At): string {
  if (body.to === undefined) return body.recipient as string;
  const user = waId(body.to);
  const problem = userIdProblem(user);
  if (problem !== undefined) throw new Refusal(at('request', 'body', 'to'), problem);
  return user;
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
  const callback = check(settingsRequest, call.requestBody, () => at('request', 'body')).calling
    ?.callback_permission_status;
  if (callback === undefined) {
    out.ignored++;
    return;
  }
  const enabled = callback === 'ENABLED';
  out.facts.push({
    type: 'CallbackSettingChanged',
    business: businessOf(call, at),
    enabled,
    at: call.at,
    key: `api:settings:${call.node}:${call.at}:callback-${enabled ? 'enabled' : 'disabled'}`,
    source: out.source,
  });
}

function observePermission(call: Call, at: At, out: Batch): void {
  const query = new URLSearchParams(call.query);
  const phone = query.get('user_wa_id');
  const user = phone ? waId(phone) : query.get('recipient');
  if (!user) throw new Refusal(at('request', 'path'), 'needs user_wa_id or recipient in the query');
  const problem = userIdProblem(user);
  if (problem !== undefined) throw new Refusal(at('request', 'path'), `the user in the query: ${problem}`);
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
function observedStatus(body: CallPermissionsResponse): ObservedStatus {
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

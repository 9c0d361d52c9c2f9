// Logged Graph API calls → facts. A call only says something happened when Meta accepted it (2xx); the
// endpoint is recognised from the path, with or without a Graph version or host in front.

import {
  apiCallEntry,
  callPermissionsResponse,
  callRequest,
  callResponse,
  createTemplateRequest,
  sendMessageRequest,
  sendMessageResponse,
  settingsRequest,
} from './apiCallSchema.js';
import type { Batch } from './batch.js';
import { waId } from './identity.js';
import { check, joinPath, Refusal } from './refusal.js';

// [scheme://host]/[vNN.N/]{node}/{edge}[/][?query]
const GRAPH_PATH =
  /^(?:[a-z]+:\/\/[^/]+)?\/?(?:v\d+(?:\.\d+)?\/)?([^/?#]+)\/([^/?#]+)\/?(?:\?([^#]*))?(?:#.*)?$/i;

interface Call {
  at: number;
  node: string;
  query: string;
  requestBody: unknown;
  responseBody: unknown;
}

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
    at: entry.at,
    node,
    query,
    requestBody: entry.request.body,
    responseBody: entry.response.body,
  };
  const at = (...segments: (string | number)[]) => joinPath(prefix, segments);
  const endpoint = `${entry.request.method.toUpperCase()} ${edge}`;
  switch (endpoint) {
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

type At = (...segments: (string | number)[]) => string;

function sendMessage(call: Call, at: At, out: Batch): void {
  const request = check(sendMessageRequest, call.requestBody, () => at('request', 'body'));
  const response = check(sendMessageResponse, call.responseBody, () => at('response', 'body'));
  const channel = request.permissionRequest
    ? 'free_form'
    : request.template !== undefined && out.templates.has(request.template)
      ? 'template'
      : undefined;
  out.memory.remember(response.messageId, channel ?? 'other', call.at);
  if (channel === undefined) {
    out.ignored++;
    return;
  }
  out.facts.push({
    type: 'RequestSent',
    pair: { business: call.node, user: response.waId ?? request.user },
    at: call.at,
    key: `api:request:${response.messageId}`,
    source: out.source,
    requestId: response.messageId,
    channel,
    tentative: false,
  });
}

function createTemplate(call: Call, at: At, out: Batch): void {
  const template = check(createTemplateRequest, call.requestBody, () => at('request', 'body'));
  if (!template.permission) {
    out.ignored++;
    return;
  }
  out.templates.add(template.name);
  out.facts.push({
    type: 'TemplateKnown',
    business: call.node,
    name: template.name,
    ...(template.language === undefined ? {} : { language: template.language }),
    at: call.at,
    key: `api:template:${call.node}:${template.name}:${template.language ?? ''}`,
    source: out.source,
  });
}

function startCall(call: Call, at: At, out: Batch): void {
  const request = check(callRequest, call.requestBody, () => at('request', 'body'));
  if (request.user === undefined) {
    out.ignored++;
    return;
  }
  const callId = check(callResponse, call.responseBody, () => at('response', 'body'));
  out.facts.push({
    type: 'CallAttempted',
    pair: { business: call.node, user: request.user },
    at: call.at,
    key: `api:call:${callId}`,
    source: out.source,
    callId,
  });
}

function changeSettings(call: Call, at: At, out: Batch): void {
  const callback = check(settingsRequest, call.requestBody, () => at('request', 'body'));
  if (callback === undefined) {
    out.ignored++;
    return;
  }
  const enabled = callback === 'ENABLED';
  out.facts.push({
    type: 'CallbackSettingChanged',
    business: call.node,
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
  const observed = check(callPermissionsResponse, call.responseBody, () => at('response', 'body'));
  out.facts.push({
    type: 'PermissionObserved',
    pair: { business: call.node, user },
    at: call.at,
    key: `observed:${call.node}:${user}:${call.at}`,
    source: out.source,
    status: observed.status,
    ...(observed.expiresAt === undefined ? {} : { expiresAt: observed.expiresAt }),
    ...(observed.usage.length === 0 ? {} : { usage: observed.usage }),
  });
}

// Meta's webhook bodies → facts. Every entry, change and item is visited (Meta batches them); fields and items
// that mean nothing to the engine are counted as ignored, never dropped silently.
import { type Pair, userIdProblem } from '@callpermit/core';
import { type Batch, instantOf, missingInstant } from './batch.js';
import { callingSettingFacts } from './settings.js';
import {
  type AccountSettingsValue,
  accountSettingsValue,
  type CallEvent,
  type CallStatus,
  type CallsValue,
  callsValue,
  type InboundMessage,
  type MessageStatus,
  type MessagesValue,
  messagesValue,
  PAIR_CALL_EVENTS,
  webhookBody,
} from './webhookSchema.js';
import { either, toSeconds } from './wire.js';
import { check, joinPath, WireRefusal } from './wireRefusal.js';

export function translateWebhook(
  body: unknown,
  receivedAt: number | undefined,
  prefix: string,
  out: Batch,
): void {
  const envelope = check(webhookBody, body, prefix);
  for (let e = 0; e < envelope.entry.length; e++) {
    const changes = envelope.entry[e]?.changes ?? [];
    for (let c = 0; c < changes.length; c++) {
      const change = changes[c];
      if (!change) continue;
      const path = () => joinPath(prefix, ['entry', e, 'changes', c, 'value']);
      switch (change.field) {
        case 'messages':
          messagesChange(check(messagesValue, change.value, path), receivedAt, path, out);
          break;
        case 'calls':
          callsChange(check(callsValue, change.value, path), receivedAt, path, out);
          break;
        case 'account_settings_update':
          settingsChange(check(accountSettingsValue, change.value, path), receivedAt, path, out);
          break;
        default:
          out.ignored++;
      }
    }
  }
}

type Path = () => string;

function messagesChange(value: MessagesValue, receivedAt: number | undefined, path: Path, out: Batch): void {
  const business = value.metadata.phone_number_id;
  const statuses = value.statuses ?? [];
  const messages = value.messages ?? [];
  // A change with neither (e.g. only `errors`) is one irrelevant item.
  if (statuses.length + messages.length === 0) out.ignored++;
  for (let i = 0; i < statuses.length; i++) {
    const s = statuses[i] as MessageStatus;
    messageStatus(
      s,
      business,
      instantOf(s.timestamp, receivedAt) ?? missingInstant(`${path()}.statuses[${i}].timestamp`),
      out,
    );
  }
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as InboundMessage;
    inboundMessage(
      m,
      business,
      instantOf(m.timestamp, receivedAt) ?? missingInstant(`${path()}.messages[${i}].timestamp`),
      out,
    );
  }
}

function messageStatus(s: MessageStatus, business: string, at: number, out: Batch): void {
  const known = out.memory.recall(s.id, at);
  // Statuses of messages the API log shows are not permission requests say nothing about requests.
  if (known === 'other') {
    out.ignored++;
    return;
  }
  const pair: Pair = { business, user: either(s.recipient_id, s.recipient_user_id) };
  const key = `status:${s.id}:${s.status}`;
  const source = out.source;
  switch (s.status) {
    case 'sent':
      out.facts.push({
        type: 'RequestSent',
        pair,
        at,
        key,
        source,
        requestId: s.id,
        channel: known ?? 'unknown',
        tentative: known === undefined,
      });
      break;
    case 'delivered':
      out.facts.push({ type: 'RequestDelivered', pair, at, key, source, requestId: s.id });
      break;
    case 'read':
      out.facts.push({ type: 'RequestRead', pair, at, key, source, requestId: s.id });
      break;
    case 'failed': {
      const errorCode = s.errors?.[0]?.code;
      out.facts.push(
        errorCode === undefined
          ? { type: 'RequestFailed', pair, at, key, source, requestId: s.id }
          : { type: 'RequestFailed', pair, at, key, source, requestId: s.id, errorCode },
      );
      break;
    }
    default:
      // `played` (voice messages) and statuses Meta may add later.
      out.ignored++;
  }
}

function inboundMessage(m: InboundMessage, business: string, at: number, out: Batch): void {
  const pair: Pair = { business, user: either(m.from, m.from_user_id) };
  const source = out.source;
  const reply =
    m.interactive?.type === 'call_permission_reply' ? m.interactive.call_permission_reply : undefined;
  if (reply === undefined) {
    out.facts.push({ type: 'UserMessaged', pair, at, key: `user-message:${m.id}`, source, messageId: m.id });
    return;
  }
  const key = `reply:${m.id}`;
  const automatic = reply.response_source === 'automatic';
  // context.id names what the reply answers: a `wacid.` call (automatic callback grant) or, otherwise, the
  // message it replies to (a `wamid.` permission request). No context: the business profile, or Meta itself.
  const contextId = m.context?.id;
  const callId = contextId?.startsWith('wacid.') ? contextId : undefined;
  const requestId = callId === undefined ? contextId : undefined;
  if (reply.response === 'accept') {
    const via =
      requestId !== undefined ? 'request' : callId !== undefined || automatic ? 'callback' : 'profile';
    out.facts.push({
      type: 'PermissionGranted',
      pair,
      at,
      key,
      source,
      permanent: reply.is_permanent === true,
      via,
      ...(reply.expiration_timestamp === undefined
        ? {}
        : { expiresAt: toSeconds(reply.expiration_timestamp) }),
      ...(requestId === undefined ? {} : { requestId }),
      ...(callId === undefined ? {} : { callId }),
    });
  } else if (automatic) {
    out.facts.push({ type: 'PermissionRevoked', pair, at, key, source, by: 'automatic' });
  } else if (requestId !== undefined) {
    out.facts.push({ type: 'PermissionDeclined', pair, at, key, source, requestId });
  } else {
    // UNCONFIRMED by Meta: a user revoking from the business profile is assumed to look like this.
    out.facts.push({ type: 'PermissionRevoked', pair, at, key, source, by: 'user' });
  }
}

function callsChange(value: CallsValue, receivedAt: number | undefined, path: Path, out: Batch): void {
  const business = value.metadata.phone_number_id;
  const calls = value.calls ?? [];
  const statuses = value.statuses ?? [];
  if (calls.length + statuses.length === 0) out.ignored++;
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i] as CallEvent;
    // Only a connected call with start_time or end_time can do without its own or a received instant.
    const at = instantOf(c.timestamp, receivedAt);
    callEvent(c, business, at, () => `${path()}.calls[${i}]`, out);
  }
  for (let i = 0; i < statuses.length; i++) {
    const s = statuses[i] as CallStatus;
    callStatus(
      s,
      business,
      instantOf(s.timestamp, receivedAt) ?? missingInstant(`${path()}.statuses[${i}].timestamp`),
      out,
    );
  }
}

function callEvent(c: CallEvent, business: string, at: number | undefined, itemPath: Path, out: Batch): void {
  if (!PAIR_CALL_EVENTS.has(c.event)) {
    out.ignored++;
    return;
  }
  const missing = () => missingInstant(`${itemPath()}.timestamp`);
  const userInitiated = c.direction === 'USER_INITIATED';
  const user = userInitiated ? either(c.from, c.from_user_id) : either(c.to, c.to_user_id);
  // from_user_id and to_user_id are checked by the schema; from and to only here, where one is the user's.
  const side = userInitiated ? 'from' : 'to';
  if (user === c[side]) {
    const problem = userIdProblem(user);
    if (problem !== undefined) throw new WireRefusal(`${itemPath()}.${side}`, problem);
  }
  const pair: Pair = { business, user };
  const source = out.source;
  if (c.event === 'connect') {
    // A business-initiated connect only means Meta is ready for media: the outcome comes later.
    if (!userInitiated) out.ignored++;
    else
      out.facts.push({
        type: 'UserCalled',
        pair,
        at: at ?? missing(),
        key: `call:${c.id}:user-called`,
        source,
        callId: c.id,
      });
    return;
  }
  // terminate: start_time/duration exist only when the other side picked up, whatever `status` says (a FAILED
  // call can have connected and then lost its media).
  if (c.start_time !== undefined || c.duration !== undefined) {
    const duration = c.duration === undefined ? 0 : toSeconds(c.duration);
    const connectedAt =
      c.start_time !== undefined
        ? toSeconds(c.start_time)
        : c.end_time !== undefined
          ? toSeconds(c.end_time) - duration
          : (at ?? missing()) - duration;
    out.facts.push({
      type: 'CallConnected',
      pair,
      at: connectedAt,
      key: `call:${c.id}:connected-start`,
      source,
      callId: c.id,
      direction: userInitiated ? 'user_initiated' : 'business_initiated',
      evidence: 'start_time',
    });
  } else if (!userInitiated) {
    out.facts.push({
      type: 'CallUnanswered',
      pair,
      at: at ?? missing(),
      key: `call:${c.id}:terminate`,
      source,
      callId: c.id,
    });
  } else {
    // A missed user call: its connect already opened the window and (with callback on) granted permission.
    out.ignored++;
  }
}

function callStatus(s: CallStatus, business: string, at: number, out: Batch): void {
  const pair: Pair = { business, user: either(s.recipient_id, s.recipient_user_id) };
  const source = out.source;
  switch (s.status) {
    case 'ACCEPTED':
      out.facts.push({
        type: 'CallConnected',
        pair,
        at,
        key: `call:${s.id}:accepted`,
        source,
        callId: s.id,
        direction: 'business_initiated',
        evidence: 'accepted',
      });
      break;
    case 'REJECTED':
      out.facts.push({ type: 'CallRejected', pair, at, key: `call:${s.id}:rejected`, source, callId: s.id });
      break;
    default:
      // RINGING says nothing the outcome will not say.
      out.ignored++;
  }
}

function settingsChange(
  value: AccountSettingsValue,
  receivedAt: number | undefined,
  path: Path,
  out: Batch,
): void {
  const settings = value.phone_number_settings;
  const calling = settings?.calling;
  if (calling?.callback_permission_status === undefined && calling?.status === undefined) {
    out.ignored++;
    return;
  }
  const business = either(settings?.phone_number_id, value.metadata?.phone_number_id);
  const at = instantOf(value.timestamp, receivedAt) ?? missingInstant(`${path()}.timestamp`);
  callingSettingFacts(calling, business, at, 'settings', out);
}

// Meta's webhook bodies, built as Meta POSTs them (wire reference §4–§8; see docs/wire-mapping.md for what
// each becomes). Production code: the simulator turns a scenario's user and Meta steps into these, and they
// reach the engine through the same Translator as real webhooks.
import { type BusinessNumber, FAKE_DISPLAY_NUMBER, FAKE_WABA_ID } from './number.js';

type Json = Record<string, unknown>;

/** `{object, entry: [{id, changes: [{field, value}]}]}`: one change on one field. */
export interface WebhookBody {
  readonly object: 'whatsapp_business_account';
  readonly entry: readonly {
    readonly id: string;
    readonly changes: readonly { field: string; value: Json }[];
  }[];
}

export function webhookBody(business: BusinessNumber, field: string, value: Json): WebhookBody {
  return {
    object: 'whatsapp_business_account',
    entry: [{ id: business.wabaId ?? FAKE_WABA_ID, changes: [{ field, value }] }],
  };
}

/** `metadata` of a `messages` or `calls` change: the number as displayed, and its id. */
export function numberMetadata(business: BusinessNumber): Json {
  return {
    display_phone_number: business.displayNumber ?? FAKE_DISPLAY_NUMBER,
    phone_number_id: business.phoneNumberId,
  };
}

const seconds = (at: number) => String(at);

export interface MessageStatusItem {
  readonly messageId: string;
  readonly user: string;
  readonly status: 'sent' | 'delivered' | 'read' | 'failed';
  readonly at: number;
  /** For `failed`: Meta's error code (131026: the user's app is too old for the message). */
  readonly errorCode?: number;
  /** For `failed`: Meta's `error_data.details`. */
  readonly errorDetails?: string;
  /** Meta's `pricing` object of a delivered (billable) message, as given. */
  readonly pricing?: Json;
}

/** A message status webhook (`field: messages`, `statuses[]`), §6. */
export function messageStatusWebhook(business: BusinessNumber, item: MessageStatusItem): WebhookBody {
  const status: Json = {
    id: item.messageId,
    status: item.status,
    timestamp: seconds(item.at),
    recipient_id: item.user,
  };
  if (item.pricing !== undefined) status.pricing = item.pricing;
  if (item.status === 'failed') {
    const code = item.errorCode ?? 131026;
    const error: Json = { code, title: 'Message undeliverable', message: 'Message undeliverable' };
    if (item.errorDetails !== undefined) error.error_data = { details: item.errorDetails };
    status.errors = [error];
  }
  return webhookBody(business, 'messages', {
    messaging_product: 'whatsapp',
    metadata: numberMetadata(business),
    statuses: [status],
  });
}

/** The user as Meta names them in `contacts[]`: their wa_id and their profile name. */
function contact(user: string, name = 'User'): Json {
  return { profile: { name }, wa_id: user };
}

function inbound(business: BusinessNumber, user: string, message: Json, name?: string): WebhookBody {
  return webhookBody(business, 'messages', {
    messaging_product: 'whatsapp',
    metadata: numberMetadata(business),
    contacts: [contact(user, name)],
    messages: [message],
  });
}

export interface UserMessageItem {
  readonly messageId: string;
  readonly user: string;
  readonly at: number;
  readonly text?: string;
  /** The user's profile name (`contacts[].profile.name`). */
  readonly name?: string;
}

/** A text message from the user (`field: messages`, `messages[]`): it opens the customer-service window. */
export function userMessageWebhook(business: BusinessNumber, item: UserMessageItem): WebhookBody {
  return inbound(
    business,
    item.user,
    {
      from: item.user,
      id: item.messageId,
      timestamp: seconds(item.at),
      type: 'text',
      text: { body: item.text ?? 'Hello' },
    },
    item.name,
  );
}

export interface PermissionReplyItem {
  readonly replyId: string;
  readonly user: string;
  readonly at: number;
  readonly response: 'accept' | 'reject';
  /** What the reply answers: a request's `wamid.`, or a call's `wacid.` (automatic callback grant); none from the profile. */
  readonly context?: string;
  /** Accepts only: `is_permanent`. */
  readonly permanent?: boolean;
  /**
   * Temporary accepts only: `expiration_timestamp`, Unix seconds. Meta's 2026 samples write it as a string of
   * digits, bodies seen in the field as a number: both are given as they come.
   */
  readonly expiresAt?: number | string;
  /** `response_source`; some bodies seen in the field have none. */
  readonly source?: 'user_action' | 'automatic';
  /** The user's profile name (`contacts[].profile.name`). */
  readonly name?: string;
}

/** A `call_permission_reply` (§4): the six documented scenarios, and the profile revoke callpermit assumes. */
export function permissionReplyWebhook(business: BusinessNumber, item: PermissionReplyItem): WebhookBody {
  const reply: Json = { response: item.response };
  if (item.response === 'accept') {
    reply.is_permanent = item.permanent === true;
    if (item.permanent !== true && item.expiresAt !== undefined) reply.expiration_timestamp = item.expiresAt;
  }
  if (item.source !== undefined) reply.response_source = item.source;
  // In the order of Meta's sample (reference §4): the context, then the reply.
  const message: Json = {
    from: item.user,
    id: item.replyId,
    timestamp: seconds(item.at),
    type: 'interactive',
    ...(item.context === undefined ? {} : { context: { from: item.user, id: item.context } }),
    interactive: { type: 'call_permission_reply', call_permission_reply: reply },
  };
  return inbound(business, item.user, message, item.name);
}

export type CallDirectionWire = 'BUSINESS_INITIATED' | 'USER_INITIATED';

function callEnds(business: BusinessNumber, user: string, direction: CallDirectionWire): Json {
  const own = business.displayNumber ?? FAKE_DISPLAY_NUMBER;
  return direction === 'USER_INITIATED' ? { from: user, to: own } : { from: own, to: user };
}

/**
 * Whom a calls change names in `contacts[]`: the user with this profile name (by default 'User'), or nobody
 * (`false`): Meta leaves `contacts` out of some call webhooks (reference §5, outbound connects).
 */
export type CallContact = { readonly name: string } | false;

function callsChange(
  business: BusinessNumber,
  user: string,
  named: CallContact | undefined,
  items: Json,
): WebhookBody {
  return webhookBody(business, 'calls', {
    messaging_product: 'whatsapp',
    metadata: numberMetadata(business),
    ...(named === false ? {} : { contacts: [contact(user, named?.name)] }),
    ...items,
  });
}

export interface CallEventItem {
  readonly callId: string;
  readonly user: string;
  readonly at: number;
  readonly direction: CallDirectionWire;
  readonly contact?: CallContact;
  /** `session.sdp` of a connect: by default a minimal SDP. */
  readonly sdp?: string;
}

/** A call `connect` event (§5): a user's call reaching the business, or Meta ready for a business call's media. */
export function callConnectWebhook(business: BusinessNumber, item: CallEventItem): WebhookBody {
  return callsChange(business, item.user, item.contact, {
    calls: [
      {
        id: item.callId,
        ...callEnds(business, item.user, item.direction),
        event: 'connect',
        timestamp: seconds(item.at),
        direction: item.direction,
        session: {
          sdp_type: item.direction === 'USER_INITIATED' ? 'offer' : 'answer',
          sdp: item.sdp ?? 'v=0\r\n',
        },
      },
    ],
  });
}

export interface CallTerminateItem extends CallEventItem {
  /** When the other side picked up; absent for a call nobody answered. */
  readonly startedAt?: number;
  /** When the call ended (`end_time`, with `startedAt`): by default the event's own instant. */
  readonly endedAt?: number;
  /** By default COMPLETED for a call picked up, FAILED for one nobody answered; Meta sends either. */
  readonly status?: 'COMPLETED' | 'FAILED';
}

/** A call `terminate` event (§5): `start_time`, `end_time` and `duration` only when the call was picked up. */
export function callTerminateWebhook(business: BusinessNumber, item: CallTerminateItem): WebhookBody {
  const call: Json = {
    id: item.callId,
    ...callEnds(business, item.user, item.direction),
    event: 'terminate',
    direction: item.direction,
    timestamp: seconds(item.at),
    status: item.status ?? (item.startedAt === undefined ? 'FAILED' : 'COMPLETED'),
  };
  if (item.startedAt !== undefined) {
    const ended = item.endedAt ?? item.at;
    call.start_time = seconds(item.startedAt);
    call.end_time = seconds(ended);
    call.duration = ended - item.startedAt;
  }
  return callsChange(business, item.user, item.contact, { calls: [call] });
}

export interface CallStatusItem {
  readonly callId: string;
  readonly user: string;
  readonly at: number;
  readonly status: 'RINGING' | 'ACCEPTED' | 'REJECTED';
  readonly contact?: CallContact;
}

/** A business-initiated call's status (`field: calls`, `statuses[]`), §5. */
export function callStatusWebhook(business: BusinessNumber, item: CallStatusItem): WebhookBody {
  return callsChange(business, item.user, item.contact, {
    statuses: [
      {
        id: item.callId,
        timestamp: seconds(item.at),
        type: 'call',
        status: item.status,
        recipient_id: item.user,
      },
    ],
  });
}

/** The business number's callback setting changed, and with `calling` calling itself (`field: account_settings_update`), §8. */
export function callbackSettingWebhook(
  business: BusinessNumber,
  item: { readonly at: number; readonly enabled: boolean; readonly calling?: boolean },
): WebhookBody {
  const word = (on: boolean) => (on ? 'ENABLED' : 'DISABLED');
  // `calling.status` only when asked for: it is a fact of its own (CallingSettingChanged, 138000 while off).
  const calling =
    item.calling === undefined
      ? { callback_permission_status: word(item.enabled) }
      : { status: word(item.calling), callback_permission_status: word(item.enabled) };
  return webhookBody(business, 'account_settings_update', {
    messaging_product: 'whatsapp',
    timestamp: seconds(item.at),
    type: 'phone_number_settings',
    phone_number_settings: { phone_number_id: business.phoneNumberId, calling },
  });
}

// Zod schemas for the parts of Meta's webhook bodies that callpermit consumes. Only consumed fields are
// described; unknown keys are allowed (zod's default object mode: not refused, and not walked, which keeps
// validation cheaper than looseObject's). Refinements state what Meta guarantees and the mapping relies on:
// who the user is, and what a call event needs.
import { z } from 'zod';
import { businessId, duration, id, optionalId, optionalUserId, seconds } from './wire.js';

export const webhookBody = z.compile(
  z.object({
    object: z.literal('whatsapp_business_account'),
    entry: z.array(z.object({ changes: z.array(z.object({ field: z.string(), value: z.unknown() })) })),
  }),
);

const metadata = z.object({ phone_number_id: businessId });
const errors = z.array(z.object({ code: z.number().int().optional() })).optional();

/** A message status (`field: messages`): what happened to a message the business sent. */
const messageStatus = z
  .object({
    id,
    status: z.string(),
    timestamp: seconds.optional(),
    recipient_id: optionalUserId,
    recipient_user_id: optionalUserId,
    errors,
  })
  .refine((s) => s.recipient_id !== undefined || s.recipient_user_id !== undefined, {
    path: ['recipient_id'],
    message: 'needs recipient_id or recipient_user_id',
  });
export type MessageStatus = z.output<typeof messageStatus>;

const permissionReply = z.object({
  response: z.enum(['accept', 'reject']),
  is_permanent: z.boolean().optional(),
  expiration_timestamp: seconds.optional(),
  response_source: z.enum(['user_action', 'automatic']).optional(),
});
export type PermissionReply = z.output<typeof permissionReply>;

/**
 * An inbound message. A call permission reply is recognised by `interactive.type`, not by `type` (Meta's own
 * samples omit `type`); its reply object is then required.
 */
const inboundMessage = z
  .object({
    id,
    from: optionalUserId,
    from_user_id: optionalUserId,
    timestamp: seconds.optional(),
    context: z.object({ id: optionalId }).optional(),
    interactive: z
      .object({ type: z.string().optional(), call_permission_reply: permissionReply.optional() })
      .refine((i) => i.type !== 'call_permission_reply' || i.call_permission_reply !== undefined, {
        path: ['call_permission_reply'],
        message: 'missing (a call_permission_reply message carries it)',
      })
      .optional(),
  })
  .refine((m) => m.from !== undefined || m.from_user_id !== undefined, {
    path: ['from'],
    message: 'needs from or from_user_id',
  });
export type InboundMessage = z.output<typeof inboundMessage>;

export const messagesValue = z.compile(
  z.object({
    metadata,
    statuses: z.array(messageStatus).optional(),
    messages: z.array(inboundMessage).optional(),
  }),
);
export type MessagesValue = z.output<typeof messagesValue>;

/** Events that concern a pair; others (e.g. SIP `call_created`) are counted as ignored. */
export const PAIR_CALL_EVENTS: ReadonlySet<string> = new Set(['connect', 'terminate']);

/** A call event (`field: calls`): connect or terminate, either direction. */
const callEvent = z
  .object({
    id,
    event: z.string(),
    direction: z.enum(['USER_INITIATED', 'BUSINESS_INITIATED']).optional(),
    // One of from and to is the business's display number: the user's side is checked where it is read.
    from: optionalId,
    to: optionalId,
    from_user_id: optionalUserId,
    to_user_id: optionalUserId,
    timestamp: seconds.optional(),
    start_time: seconds.optional(),
    end_time: seconds.optional(),
    duration: duration.optional(),
  })
  // The user is the caller of a user-initiated call and the callee of a business-initiated one.
  .refine((c) => !PAIR_CALL_EVENTS.has(c.event) || c.direction !== undefined, {
    path: ['direction'],
    message: 'required on connect and terminate events',
  })
  .refine((c) => c.direction !== 'USER_INITIATED' || (c.from ?? c.from_user_id) !== undefined, {
    path: ['from'],
    message: 'needs from or from_user_id (the caller)',
  })
  .refine((c) => c.direction !== 'BUSINESS_INITIATED' || (c.to ?? c.to_user_id) !== undefined, {
    path: ['to'],
    message: 'needs to or to_user_id (the callee)',
  });
export type CallEvent = z.output<typeof callEvent>;

/** A business-initiated call's progress (`field: calls`, `statuses[]` with `type: call`). */
const callStatus = z
  .object({
    id,
    status: z.string(),
    timestamp: seconds.optional(),
    recipient_id: optionalUserId,
    recipient_user_id: optionalUserId,
  })
  .refine((s) => s.recipient_id !== undefined || s.recipient_user_id !== undefined, {
    path: ['recipient_id'],
    message: 'needs recipient_id or recipient_user_id',
  });
export type CallStatus = z.output<typeof callStatus>;

export const callsValue = z.compile(
  z.object({
    metadata,
    calls: z.array(callEvent).optional(),
    statuses: z.array(callStatus).optional(),
  }),
);
export type CallsValue = z.output<typeof callsValue>;

/**
 * `field: account_settings_update`, `type: phone_number_settings`: the number's calling settings changed
 * (including by the business itself). The number is named inside `phone_number_settings`; `metadata` is the
 * fallback should Meta ever send the usual envelope instead.
 */
export const accountSettingsValue = z.compile(
  z
    .object({
      timestamp: seconds.optional(),
      metadata: z.object({ phone_number_id: businessId.optional() }).optional(),
      phone_number_settings: z
        .object({
          phone_number_id: businessId.optional(),
          calling: z
            .object({
              status: z.enum(['ENABLED', 'DISABLED']).optional(),
              callback_permission_status: z.enum(['ENABLED', 'DISABLED']).optional(),
            })
            .optional(),
        })
        .optional(),
    })
    .refine(
      (v) =>
        (v.phone_number_settings?.calling?.callback_permission_status === undefined &&
          v.phone_number_settings?.calling?.status === undefined) ||
        (v.phone_number_settings?.phone_number_id ?? v.metadata?.phone_number_id) !== undefined,
      {
        path: ['phone_number_settings', 'phone_number_id'],
        message:
          'needs the phone number id (phone_number_settings.phone_number_id or metadata.phone_number_id)',
      },
    ),
);
export type AccountSettingsValue = z.output<typeof accountSettingsValue>;

// Zod decoders for the parts of Meta's webhook bodies that callpermit consumes. Objects are loose (Meta adds
// fields all the time); each decoder turns one wire item into a lean record, resolving the user identity
// (phone `wa_id`, else the business-scoped user id) so the mapping never has to second-guess the wire.
import { z } from 'zod';
import { id, seconds } from './wire.js';

export const webhookBody = z.compile(
  z.looseObject({
    object: z.literal('whatsapp_business_account'),
    entry: z.array(
      z.looseObject({
        changes: z.array(z.looseObject({ field: z.string(), value: z.unknown() })),
      }),
    ),
  }),
);

const metadata = z.looseObject({ phone_number_id: id });
const optionalId = id.optional();

/** A message status (`field: messages`): what happened to a message the business sent. */
const messageStatus = z
  .looseObject({
    id,
    status: z.string(),
    timestamp: seconds.optional(),
    recipient_id: optionalId,
    recipient_user_id: optionalId,
    errors: z.array(z.looseObject({ code: z.number().int().optional() })).optional(),
  })
  .transform((s, ctx) => {
    const user = s.recipient_id ?? s.recipient_user_id;
    if (user === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['recipient_id'],
        message: 'needs recipient_id or recipient_user_id',
      });
      return z.NEVER;
    }
    return { id: s.id, status: s.status, at: s.timestamp, user, errorCode: s.errors?.[0]?.code };
  });
export type MessageStatus = z.output<typeof messageStatus>;

const permissionReply = z.looseObject({
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
  .looseObject({
    id,
    from: optionalId,
    from_user_id: optionalId,
    timestamp: seconds.optional(),
    context: z.looseObject({ id: optionalId }).optional(),
    interactive: z
      .looseObject({ type: z.string().optional(), call_permission_reply: z.unknown().optional() })
      .optional(),
  })
  .transform((m, ctx) => {
    const user = m.from ?? m.from_user_id;
    if (user === undefined) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'needs from or from_user_id' });
      return z.NEVER;
    }
    let reply: PermissionReply | undefined;
    if (m.interactive?.type === 'call_permission_reply') {
      const parsed = permissionReply.safeParse(m.interactive.call_permission_reply);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          ctx.addIssue({ ...issue, path: ['interactive', 'call_permission_reply', ...issue.path] });
        }
        return z.NEVER;
      }
      reply = parsed.data;
    }
    return { id: m.id, user, at: m.timestamp, contextId: m.context?.id, reply };
  });
export type InboundMessage = z.output<typeof inboundMessage>;

export const messagesValue = z.compile(
  z.looseObject({
    metadata,
    statuses: z.array(messageStatus).optional(),
    messages: z.array(inboundMessage).optional(),
  }),
);
export type MessagesValue = z.output<typeof messagesValue>;

const CALL_EVENTS_WITH_PAIR = new Set(['connect', 'terminate']);

/** A call event (`field: calls`): connect or terminate, either direction. */
const callEvent = z
  .looseObject({
    id,
    event: z.string(),
    direction: z.enum(['USER_INITIATED', 'BUSINESS_INITIATED']).optional(),
    from: optionalId,
    to: optionalId,
    from_user_id: optionalId,
    to_user_id: optionalId,
    timestamp: seconds.optional(),
    start_time: seconds.optional(),
    end_time: seconds.optional(),
    duration: seconds.optional(),
  })
  .transform((c, ctx) => {
    if (!CALL_EVENTS_WITH_PAIR.has(c.event)) return { id: c.id, event: c.event, pair: undefined };
    if (c.direction === undefined) {
      ctx.addIssue({ code: 'custom', path: ['direction'], message: `required on a ${c.event} event` });
      return z.NEVER;
    }
    const userInitiated = c.direction === 'USER_INITIATED';
    // The user is the caller of a user-initiated call and the callee of a business-initiated one.
    const user = userInitiated ? (c.from ?? c.from_user_id) : (c.to ?? c.to_user_id);
    if (user === undefined) {
      const side = userInitiated ? 'from or from_user_id' : 'to or to_user_id';
      ctx.addIssue({ code: 'custom', path: [userInitiated ? 'from' : 'to'], message: `needs ${side}` });
      return z.NEVER;
    }
    return {
      id: c.id,
      event: c.event,
      pair: {
        user,
        userInitiated,
        at: c.timestamp,
        startTime: c.start_time,
        endTime: c.end_time,
        duration: c.duration,
      },
    };
  });
export type CallEvent = z.output<typeof callEvent>;

/** A business-initiated call's progress (`field: calls`, `statuses[]` with `type: call`). */
const callStatus = z
  .looseObject({
    id,
    status: z.string(),
    timestamp: seconds.optional(),
    recipient_id: optionalId,
    recipient_user_id: optionalId,
  })
  .transform((s, ctx) => {
    const user = s.recipient_id ?? s.recipient_user_id;
    if (user === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['recipient_id'],
        message: 'needs recipient_id or recipient_user_id',
      });
      return z.NEVER;
    }
    return { id: s.id, status: s.status, at: s.timestamp, user };
  });
export type CallStatus = z.output<typeof callStatus>;

export const callsValue = z.compile(
  z.looseObject({
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
    .looseObject({
      timestamp: seconds.optional(),
      metadata: z.looseObject({ phone_number_id: optionalId }).optional(),
      phone_number_settings: z
        .looseObject({
          phone_number_id: optionalId,
          calling: z
            .looseObject({ callback_permission_status: z.enum(['ENABLED', 'DISABLED']).optional() })
            .optional(),
        })
        .optional(),
    })
    .transform((v, ctx) => {
      const callback = v.phone_number_settings?.calling?.callback_permission_status;
      if (callback === undefined) return undefined;
      const business = v.phone_number_settings?.phone_number_id ?? v.metadata?.phone_number_id;
      if (business === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['phone_number_settings', 'phone_number_id'],
          message:
            'needs the phone number id (phone_number_settings.phone_number_id or metadata.phone_number_id)',
        });
        return z.NEVER;
      }
      return { business, at: v.timestamp, enabled: callback === 'ENABLED' };
    }),
);

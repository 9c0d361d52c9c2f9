// Zod decoders for logged Graph API calls: the envelope, and the request/response bodies of the endpoints
// callpermit learns from. Loose objects; only consumed fields are described.
import { durationSeconds } from '@callpermit/core';
import { z } from 'zod';
import { waId } from './identity.js';
import { id, instant, seconds } from './wire.js';

export const apiCallEntry = z.compile(
  z.looseObject({
    at: instant,
    request: z.looseObject({ method: z.string(), path: z.string(), body: z.unknown().optional() }),
    response: z.looseObject({ status: z.number().int(), body: z.unknown().optional() }),
  }),
);

const optionalId = id.optional();

/** `to` (a phone number, normalised to a wa_id) wins over `recipient` (a BSUID), as at Meta. */
function recipientOf(body: { to?: string | undefined; recipient?: string | undefined }): string | undefined {
  return body.to !== undefined ? waId(body.to) : body.recipient;
}

/** POST /{phone_number_id}/messages: any message; what kind it is decides the translator. */
export const sendMessageRequest = z.compile(
  z
    .looseObject({
      to: optionalId,
      recipient: optionalId,
      type: z.string().optional(),
      interactive: z.looseObject({ type: z.string().optional() }).optional(),
      template: z.looseObject({ name: z.string() }).optional(),
    })
    .transform((b, ctx) => {
      const user = recipientOf(b);
      if (user === undefined || user === '') {
        ctx.addIssue({
          code: 'custom',
          path: ['to'],
          message: 'needs to (a phone number) or recipient (a BSUID)',
        });
        return z.NEVER;
      }
      const permissionRequest = b.interactive?.type === 'call_permission_request';
      const template = b.type === 'template' ? b.template?.name : undefined;
      return { user, permissionRequest, template };
    }),
);

/** Meta's `contacts[0].wa_id` is its canonical id for the number sent to: webhooks use that one. */
export const sendMessageResponse = z.compile(
  z
    .looseObject({
      contacts: z.array(z.looseObject({ wa_id: optionalId })).optional(),
      messages: z.array(z.looseObject({ id })).min(1, 'needs the sent message id (messages[0].id)'),
    })
    .transform((b) => ({ messageId: (b.messages[0] as { id: string }).id, waId: b.contacts?.[0]?.wa_id })),
);

/** POST /{waba_id}/message_templates. */
export const createTemplateRequest = z.compile(
  z
    .looseObject({
      name: id,
      language: z.string().optional(),
      components: z.array(z.looseObject({ type: z.string() })).optional(),
    })
    .transform((b) => ({
      name: b.name,
      language: b.language,
      // 2025 samples write component types in upper case, 2026 ones in lower case.
      permission: (b.components ?? []).some((c) => c.type.toLowerCase() === 'call_permission_request'),
    })),
);

/** POST /{phone_number_id}/calls: only `connect` starts a call; the others act on an existing one. */
export const callRequest = z.compile(
  z.looseObject({ action: z.string(), to: optionalId, recipient: optionalId }).transform((b, ctx) => {
    if (b.action !== 'connect') return { action: b.action, user: undefined };
    const user = recipientOf(b);
    if (user === undefined || user === '') {
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: 'needs to (a phone number) or recipient (a BSUID)',
      });
      return z.NEVER;
    }
    return { action: b.action, user };
  }),
);

export const callResponse = z.compile(
  z
    .looseObject({ calls: z.array(z.looseObject({ id })).min(1, 'needs the call id (calls[0].id)') })
    .transform((b) => (b.calls[0] as { id: string }).id),
);

/** POST /{phone_number_id}/settings. */
export const settingsRequest = z.compile(
  z
    .looseObject({
      calling: z
        .looseObject({ callback_permission_status: z.enum(['ENABLED', 'DISABLED']).optional() })
        .optional(),
    })
    .transform((b) => b.calling?.callback_permission_status),
);

const ACTIONS = new Set(['send_call_permission_request', 'start_call']);

const limit = z.looseObject({
  time_period: z.string().transform((text, ctx) => {
    const periodSeconds = durationSeconds(text);
    if (periodSeconds === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `${JSON.stringify(text)} is not a duration (PT24H, P7D or 24h)`,
      });
      return z.NEVER;
    }
    return periodSeconds;
  }),
  max_allowed: z.number().int().nonnegative(),
  current_usage: z.number().int().nonnegative(),
});

/**
 * GET /{phone_number_id}/call_permissions. Two vocabularies are in circulation: Meta's docs
 * (temporary / permanent / no_permission) and Meta's OpenAPI spec (granted / pending / denied / expired).
 */
export const callPermissionsResponse = z.compile(
  z
    .looseObject({
      permission: z.looseObject({
        status: z.enum([
          'temporary',
          'permanent',
          'no_permission',
          'granted',
          'pending',
          'denied',
          'expired',
        ]),
        expiration_time: seconds.optional(),
      }),
      actions: z
        .array(z.looseObject({ action_name: z.string(), limits: z.array(limit).nullish() }))
        .nullish(),
    })
    .transform((b) => {
      const { status: wire, expiration_time: expiresAt } = b.permission;
      const status =
        wire === 'granted'
          ? expiresAt === undefined
            ? ('permanent' as const)
            : ('temporary' as const)
          : wire === 'temporary' || wire === 'permanent'
            ? wire
            : ('no_permission' as const);
      const usage = [];
      for (const action of b.actions ?? []) {
        if (!ACTIONS.has(action.action_name) || !action.limits) continue;
        for (const l of action.limits) {
          usage.push({
            action: action.action_name as 'send_call_permission_request' | 'start_call',
            periodSeconds: l.time_period,
            maxAllowed: l.max_allowed,
            currentUsage: l.current_usage,
          });
        }
      }
      return { status, expiresAt: status === 'temporary' ? expiresAt : undefined, usage };
    }),
);

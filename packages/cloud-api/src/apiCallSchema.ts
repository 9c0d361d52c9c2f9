// Zod schemas for logged Graph API calls: the envelope, and the request/response bodies of the endpoints
// callpermit learns from. As for webhooks: only consumed fields are described, unknown keys are allowed, and
// checks stay inline (no transforms) so zod's compiled fast path covers them.
import { durationSeconds } from '@callpermit/core';
import { z } from 'zod';
import { id, instant, optionalId, optionalUserId, seconds } from './wire.js';

export const apiCallEntry = z.compile(
  z.object({
    at: instant,
    request: z.object({ method: z.string(), path: z.string(), body: z.unknown().optional() }),
    response: z.object({ status: z.number().int(), body: z.unknown().optional() }),
  }),
);

/** `to`: a phone number; Meta's reference types it as an Integer, so a JSON number is read too. */
const to = z.union([id, z.number().int().nonnegative()]).optional();

const hasRecipient = (b: { to?: string | number | undefined; recipient?: string | undefined }) =>
  b.to !== undefined || b.recipient !== undefined;
const recipientRequired = { path: ['to'], message: 'needs to (a phone number) or recipient (a BSUID)' };

/** POST /{phone_number_id}/messages: any message; what kind it is decides the translator. */
export const sendMessageRequest = z.compile(
  z
    .object({
      to,
      recipient: optionalUserId,
      type: z.string().optional(),
      interactive: z.object({ type: z.string().optional() }).optional(),
      template: z.object({ name: z.string() }).optional(),
    })
    .refine(hasRecipient, recipientRequired),
);

export type SendMessageRequest = z.output<typeof sendMessageRequest>;

/** `contacts[0].wa_id` is Meta's canonical id for the number sent to: the one its webhooks use. */
export const sendMessageResponse = z.compile(
  z.object({
    contacts: z.array(z.object({ wa_id: optionalUserId })).optional(),
    messages: z.array(z.object({ id })).min(1, 'needs the sent message id (messages[0].id)'),
  }),
);

/** POST /{waba_id}/message_templates. */
export const createTemplateRequest = z.compile(
  z.object({
    name: id,
    // Part of the fact's key, as the name is: printable text.
    language: optionalId,
    components: z.array(z.object({ type: z.string() })).optional(),
  }),
);

/** POST /{phone_number_id}/calls: only `connect` starts a call (and names the user); others act on a call. */
export const callRequest = z.compile(
  z
    .object({ action: z.string(), to, recipient: optionalUserId })
    .refine((b) => b.action !== 'connect' || hasRecipient(b), recipientRequired),
);

export type CallRequest = z.output<typeof callRequest>;

export const callResponse = z.compile(
  z.object({ calls: z.array(z.object({ id })).min(1, 'needs the call id (calls[0].id)') }),
);

/** POST /{phone_number_id}/settings. */
export const settingsRequest = z.compile(
  z.object({
    calling: z
      .object({
        status: z.enum(['ENABLED', 'DISABLED']).optional(),
        callback_permission_status: z.enum(['ENABLED', 'DISABLED']).optional(),
      })
      .optional(),
  }),
);

export const LIMITED_ACTIONS: ReadonlySet<string> = new Set(['send_call_permission_request', 'start_call']);

const periods = new Map<string, number | undefined>();

/** Seconds in a limit's `time_period`. Meta uses a handful (PT24H, P7D, 24h): each is parsed once. */
export function periodSeconds(text: string): number | undefined {
  if (periods.has(text)) return periods.get(text);
  const seconds = durationSeconds(text);
  if (periods.size < 256) periods.set(text, seconds);
  return seconds;
}

const limit = z.object({
  time_period: z.string().refine((text) => periodSeconds(text) !== undefined, {
    error: (issue) => `${JSON.stringify(issue.input)} is not a duration (PT24H, P7D or 24h)`,
  }),
  max_allowed: z.number().int().nonnegative(),
  current_usage: z.number().int().nonnegative(),
});

/**
 * GET /{phone_number_id}/call_permissions. Two vocabularies are in circulation: Meta's docs
 * (temporary / permanent / no_permission) and Meta's OpenAPI spec (granted / pending / denied / expired).
 */
export const callPermissionsResponse = z.compile(
  z.object({
    permission: z.object({
      status: z.enum(['temporary', 'permanent', 'no_permission', 'granted', 'pending', 'denied', 'expired']),
      expiration_time: seconds.optional(),
    }),
    actions: z.array(z.object({ action_name: z.string(), limits: z.array(limit).nullish() })).nullish(),
  }),
);
export type CallPermissionsResponse = z.output<typeof callPermissionsResponse>;

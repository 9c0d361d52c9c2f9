// The bodies the routes answer with and take, as zod schemas: they document /openapi.json.
import { changeKinds } from '@callpermit/core';
import { z } from '@hono/zod-openapi';
import { phoneNumberId } from './identifiers.js';

export const GraphErrorSchema = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string(),
      code: z.number().int(),
      error_data: z.object({ messaging_product: z.literal('whatsapp'), details: z.string() }).optional(),
      fbtrace_id: z.string(),
    }),
  })
  .openapi('GraphError', {
    description:
      "Meta's Graph error object: a refusal of the guard (Meta's code and HTTP status) or a gateway error",
  });

const LimitSchema = z.object({
  time_period: z.string().openapi({ example: 'PT24H' }),
  max_allowed: z.number().int(),
  current_usage: z.number().int(),
  limit_expiration_time: z
    .number()
    .int()
    .optional()
    .openapi({ description: 'Only while the limit is exhausted' }),
});

export const CallPermissionsSchema = z
  .object({
    messaging_product: z.literal('whatsapp'),
    permission: z.object({
      status: z.enum(['no_permission', 'temporary', 'permanent']),
      expiration_time: z.number().int().optional(),
    }),
    actions: z.array(
      z.object({
        action_name: z.enum(['send_call_permission_request', 'start_call']),
        can_perform_action: z.boolean(),
        limits: z.array(LimitSchema),
      }),
    ),
  })
  .openapi('CallPermissions', { description: "Exactly Meta's GET call_permissions body" });

export const RequestsSchema = z
  .object({
    data: z.array(
      z.object({
        id: z.string(),
        state: z.enum(['sent', 'delivered', 'accepted', 'declined', 'expired', 'superseded', 'failed']),
        channel: z.enum(['free_form', 'template', 'unknown']),
        sent_at: z.number().int().optional(),
        delivered_at: z.number().int().optional(),
        answered_at: z.number().int().optional(),
        expires_at: z.number().int().optional(),
      }),
    ),
  })
  .openapi('PermissionRequests');

export const CaptureSummarySchema = z
  .object({
    lines: z.number().int(),
    applied: z.number().int(),
    duplicates: z.number().int(),
    ignored: z.number().int(),
    rejected: z.number().int(),
    rejects: z.array(z.object({ line: z.number().int(), reason: z.string() })),
  })
  .openapi('CaptureSummary', { description: "`callpermit replay --json`'s counts, and every refused line" });

export const WebhookAckSchema = z
  .object({ outcome: z.enum(['applied', 'duplicate', 'ignored', 'rejected']), reason: z.string().optional() })
  .openapi('WebhookAcknowledgement');

/** Any webhook body Meta posts (`object`, `entry[]`); only the fields callpermit reads are named. */
export const WebhookBodySchema = z
  .looseObject({ object: z.literal('whatsapp_business_account'), entry: z.array(z.looseObject({})) })
  .openapi('WebhookBody');

/** A message send: any message; the guard decides interactive call_permission_request and permission templates. */
export const MessageSendSchema = z
  .looseObject({
    messaging_product: z.string().optional(),
    // Meta's reference types `to` as an Integer: a JSON number is read as the digits it is.
    to: z.union([z.string(), z.number()]).optional(),
    recipient: z.string().optional(),
    type: z.string().optional(),
    interactive: z.looseObject({ type: z.string().optional() }).optional(),
    template: z.looseObject({ name: z.string().optional() }).optional(),
  })
  .openapi('MessageSend');

/** A calls request: `connect` is decided by the guard; other actions are forwarded. */
export const CallActionSchema = z
  .looseObject({
    messaging_product: z.string().optional(),
    action: z.string().optional(),
    // Meta's reference types `to` as an Integer: a JSON number is read as the digits it is.
    to: z.union([z.string(), z.number()]).optional(),
    recipient: z.string().optional(),
    call_id: z.string().optional(),
  })
  .openapi('CallAction');

export const GraphAnswerSchema = z.looseObject({}).openapi('GraphAnswer', {
  description: "Meta's answer, verbatim (status, headers that matter, body)",
});

export const ChangeSchema = z
  .object({
    seq: z.number().int().openapi({ description: 'The global sequence number: the cursor', example: 42 }),
    id: z.string().openapi({ description: 'Deterministic: the same change has the same id in every replay' }),
    kind: z.enum(changeKinds),
    at: z.number().int().openapi({ description: 'When it happened (Unix seconds)' }),
    business: z.string(),
    user: z.string(),
    subject: z
      .string()
      .optional()
      .openapi({ description: 'The request id, or the id a retraction retracts' }),
    cause: z.object({
      kind: z.enum(['fact', 'time', 'refold']),
      type: z.string().optional(),
      key: z.string().optional(),
    }),
    data: z
      .record(z.string(), z.unknown())
      .openapi({ description: 'The new value of the part of the view it changes' }),
  })
  .openapi('Change', { description: "A change of a pair's view (docs/changes.md)" });

export const ChangesPageSchema = z.object({
  data: z.array(ChangeSchema),
  next: z.number().int().openapi({ description: 'Ask `after` this next time' }),
});

export const SubscriptionBodySchema = z
  .object({
    id: z
      .string()
      .regex(/^[\w.:-]{1,64}$/)
      .optional()
      .openapi({ description: 'Default: a new UUID' }),
    url: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL')
      .openapi({ example: 'https://crm.example.com/callpermit' }),
    secret: z
      .string()
      .min(16)
      .openapi({ description: 'Signs every delivery (HMAC-SHA256); at least 16 characters' }),
    business: z.union([phoneNumberId, z.array(phoneNumberId).min(1)]).optional(),
    kinds: z.array(z.enum(changeKinds)).min(1).optional(),
    after: z.number().int().nonnegative().optional().openapi({
      description: 'The last seq not to deliver (0: the whole history); default the latest change',
    }),
  })
  .strict()
  .openapi('SubscriptionRequest');

export const SubscriptionSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    businesses: z.array(z.string()).nullable(),
    kinds: z.array(z.string()).nullable(),
    origin: z.enum(['file', 'api']),
    status: z.enum(['active', 'paused']),
    cursor: z.number().int(),
    delivered: z.number().int(),
    failures: z.number().int(),
    failing_since: z.number().nullable(),
    next_attempt_at: z.number(),
    last_error: z.string().nullable(),
  })
  .openapi('Subscription');

// The bodies the routes answer with and take, as zod schemas: they document /openapi.json.
import { z } from '@hono/zod-openapi';

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

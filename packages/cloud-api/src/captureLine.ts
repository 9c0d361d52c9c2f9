import { z } from 'zod';
import { instant } from './wire.js';

/**
 * One capture line (see docs/capture-format.md): `{kind: 'webhook', received_at, payload}`,
 * `{kind: 'api_call', at, request, response}`, or a bare webhook body (it has `object`).
 */
export const captureLine = z.compile(
  z
    .object({
      kind: z.enum(['webhook', 'api_call']).optional(),
      object: z.unknown().optional(),
      received_at: instant.optional(),
      payload: z.unknown().optional(),
    })
    .refine((line) => line.kind !== undefined || line.object !== undefined, {
      path: ['kind'],
      message: "missing: a capture line has kind 'webhook' or 'api_call', or is a webhook body (with object)",
    })
    .refine((line) => line.kind !== 'webhook' || line.payload !== undefined, {
      path: ['payload'],
      message: 'missing (the webhook body)',
    }),
);

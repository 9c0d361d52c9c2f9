import { z } from 'zod';
import { instant } from './wire.js';

/**
 * One capture line (see docs/capture-format.md): `{kind: 'webhook', received_at, payload}`,
 * `{kind: 'api_call', at, request, response}`, or a bare webhook body (it has `object`).
 */
export const captureLine = z.compile(
  z
    .looseObject({
      kind: z.enum(['webhook', 'api_call']).optional(),
      object: z.unknown().optional(),
      received_at: instant.optional(),
      payload: z.unknown().optional(),
    })
    .transform((line, ctx) => {
      if (line.kind === 'webhook') {
        if (line.payload === undefined) {
          ctx.addIssue({ code: 'custom', path: ['payload'], message: 'missing (the webhook body)' });
          return z.NEVER;
        }
        return { kind: 'webhook' as const, body: line.payload, receivedAt: line.received_at, wrapped: true };
      }
      if (line.kind === 'api_call') return { kind: 'api_call' as const };
      if (line.object === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['kind'],
          message:
            "missing: a capture line has kind 'webhook' or 'api_call', or is a webhook body (with object)",
        });
        return z.NEVER;
      }
      return { kind: 'webhook' as const, body: line as unknown, receivedAt: undefined, wrapped: false };
    }),
);
